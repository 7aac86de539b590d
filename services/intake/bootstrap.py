"""Intake's composition root: settings, clock, the accepted-contacts table and the producer.

The app and the tests assemble intake here and nowhere else. The table is created here (a
stale schema refuses to start); Kafka is connected only when the app's lifespan starts it.
"""

from dataclasses import dataclass

from services.intake.settings import IntakeSettings
from services.intake.store import AcceptedContact, AcceptedContacts
from services.shared.clock import Clock, make_clock
from services.shared.db import create_tables, make_engine
from services.shared.kafka import EventProducer, kafka_security


@dataclass(frozen=True)
class Intake:
    settings: IntakeSettings
    clock: Clock
    accepted: AcceptedContacts
    producer: EventProducer


def bootstrap(settings: IntakeSettings | None = None, clock: Clock | None = None) -> Intake:
    settings = settings or IntakeSettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    engine = make_engine(settings.database_url or settings.default_database_url("intake"))
    create_tables(engine, AcceptedContact)
    producer = EventProducer(
        settings.kafka_bootstrap_servers, "pkc-intake", kafka_security(settings)
    )
    return Intake(settings, clock, AcceptedContacts(engine), producer)
