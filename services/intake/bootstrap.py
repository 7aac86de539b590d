"""Intake's composition root: settings, clock, the accepted-contacts table and the producer.

The app and the tests assemble intake here and nowhere else. The table is created here (a
stale schema refuses to start); Kafka is connected only when the app's lifespan starts it.
"""

from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.intake.publishing import Publications
from services.intake.ratings import Ratings
from services.intake.readiness import BrokerReachability
from services.intake.settings import IntakeSettings
from services.intake.store import AcceptedContact, AcceptedContacts, Erasure
from services.shared.clock import Clock, make_clock
from services.shared.db import create_tables, make_engine
from services.shared.kafka import EventProducer, kafka_security
from services.shared.periodic import every


@dataclass(frozen=True)
class Intake:
    settings: IntakeSettings
    clock: Clock
    accepted: AcceptedContacts
    producer: EventProducer
    publications: Publications
    broker: BrokerReachability
    received_at_skew: timedelta
    ratings: Ratings  # contacts' origins and their one rating each (ratings.py)

    def retention(self) -> Coroutine[Any, Any, None]:
        """The purge of idempotency keys past their retention, every interval, until cancelled."""
        keep = timedelta(days=self.settings.key_retention_days)

        def purge() -> None:
            self.accepted.purge(self.clock.now() - keep)
            self.ratings.purge(self.clock.now() - keep)

        return every(self.settings.retention_interval_seconds, "key retention", purge)


def bootstrap(settings: IntakeSettings | None = None, clock: Clock | None = None) -> Intake:
    settings = settings or IntakeSettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    engine = make_engine(settings.database_url or settings.default_database_url("intake"))
    create_tables(engine, AcceptedContact, Erasure)
    accepted = AcceptedContacts(engine)
    security = kafka_security(settings)
    producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-intake", security)
    publications = Publications(
        producer, accepted, settings.publish_deadline_seconds, settings.retry_after_seconds
    )
    broker = BrokerReachability(
        settings.kafka_bootstrap_servers,
        security,
        settings.broker_check_timeout_seconds,
        settings.broker_check_fresh_seconds,
    )
    return Intake(
        settings,
        clock,
        accepted,
        producer,
        publications,
        broker,
        settings.received_at_skew(),
        Ratings(engine),
    )
