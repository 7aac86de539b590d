"""Intake's composition root: settings, clock, the accepted-contacts and status tables, the
producer, the consumer that follows the contacts' statuses, the consumer of the contacts
adapters submit straight to Kafka and the callback sender.

The app and the tests assemble intake here and nowhere else. The tables are created here (a
stale schema refuses to start); Kafka is connected only when the app's lifespan starts it.
"""

from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from schemas.topics import INTAKE, INTAKE_SUBMISSIONS, SUBMISSIONS
from services.intake.callback_store import Backoff, CallbackStore
from services.intake.callbacks import CallbackSender
from services.intake.following import StatusFollower
from services.intake.places import QueuePlaces
from services.intake.publishing import Publications
from services.intake.ratings import Ratings
from services.intake.readiness import BrokerReachability
from services.intake.settings import IntakeSettings
from services.intake.status_store import StatusStore
from services.intake.status_tables import (
    AdapterCallback,
    AppliedEvent,
    CallbackDelivery,
    ContactStatusRow,
)
from services.intake.status_view import load_links
from services.intake.store import AcceptedContact, AcceptedContacts, Erasure, HeldKey
from services.intake.submissions import SubmissionConsumer, SubmissionRules
from services.shared.clock import Clock, make_clock
from services.shared.db import UNAVAILABLE, NewRow, create_tables, make_engine
from services.shared.group_commit import GroupCommit
from services.shared.kafka import AT_ONCE, EventConsumer, EventProducer, kafka_security
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
    statuses: StatusStore
    callbacks: CallbackStore
    sender: CallbackSender
    consumer: EventConsumer
    ratings: Ratings  # contacts' origins and their one rating each (ratings.py)
    places: QueuePlaces  # a queued contact's position and wait, asked of queueing (places.py)
    # The contacts adapters submit straight to Kafka (submissions.py, docs/adapters.md).
    submissions: SubmissionConsumer
    # Posts' claims, concurrent ones in one transaction: (the key's row, the rows it opens).
    claims: GroupCommit[tuple[HeldKey, Sequence[NewRow]], HeldKey]

    def retention(self) -> Coroutine[Any, Any, None]:
        """The purge of idempotency keys and statuses past their retention, every interval,
        until cancelled."""
        keep = timedelta(days=self.settings.key_retention_days)
        keep_statuses = timedelta(days=self.settings.status_retention_days)

        def purge() -> None:
            now = self.clock.now()
            self.accepted.purge(now - keep)
            self.statuses.purge(now - keep_statuses)
            self.ratings.purge(now - keep)

        return every(self.settings.retention_interval_seconds, "key retention", purge)


def bootstrap(settings: IntakeSettings | None = None, clock: Clock | None = None) -> Intake:
    settings = settings or IntakeSettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    engine = make_engine(settings.database_url or settings.default_database_url("intake"))
    create_tables(
        engine,
        AcceptedContact,
        Erasure,
        ContactStatusRow,
        AppliedEvent,
        AdapterCallback,
        CallbackDelivery,
    )
    accepted = AcceptedContacts(engine)
    statuses = StatusStore(engine, load_links(settings.e_services_file))
    callbacks, sender = _callbacks(settings, engine)
    security, tuning = kafka_security(settings), settings.producer_tuning()
    producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-intake", security, tuning)
    publications = Publications(
        producer,
        accepted,
        settings.publish_deadline_seconds,
        settings.retry_after_seconds,
        announce=statuses.announce_all_in,
        planned=sender.wake.set,
    )
    broker = BrokerReachability(
        settings.kafka_bootstrap_servers,
        security,
        settings.broker_check_timeout_seconds,
        settings.broker_check_fresh_seconds,
    )
    follower = StatusFollower(statuses, clock, sender.wake.set)
    bulk = follower.bulk()
    # AT_ONCE: a Nöd's 112 instruction goes back to the citizen's adapter this way.
    consumer = EventConsumer(
        INTAKE, settings.kafka_bootstrap_servers, follower, producer, bulk=bulk, batching=AT_ONCE
    )
    ratings = Ratings(engine)
    rules = SubmissionRules(
        clock, accepted, statuses, ratings, settings.received_at_skew(), sender.wake.set
    )
    return Intake(
        settings,
        clock,
        accepted,
        producer,
        publications,
        broker,
        settings.received_at_skew(),
        statuses,
        callbacks,
        sender,
        consumer,
        ratings,
        QueuePlaces(settings.queueing_url, httpx.AsyncClient(), settings.place_deadline_seconds),
        _submissions(settings, producer, rules),
        GroupCommit(accepted.claim_each, unavailable=UNAVAILABLE),
    )


def _callbacks(settings: IntakeSettings, engine: Engine) -> tuple[CallbackStore, CallbackSender]:
    """The adapters' callbacks: their outbox and its sender."""
    backoff = Backoff(
        settings.callback_first_backoff_seconds,
        settings.callback_max_backoff_seconds,
        settings.callback_lease_seconds,
    )
    callbacks = CallbackStore(engine, backoff)
    sender = CallbackSender(
        callbacks,
        httpx.AsyncClient(),
        settings.callback_poll_seconds,
        settings.callback_timeout_seconds,
    )
    return callbacks, sender


def _submissions(
    settings: IntakeSettings, producer: EventProducer, rules: SubmissionRules
) -> SubmissionConsumer:
    """The consumer of every adapter's submission topic (the registry's), as intake."""
    clients = {topic.name: client for client, topic in SUBMISSIONS.items()}
    bootstrap = settings.kafka_bootstrap_servers
    return SubmissionConsumer(INTAKE_SUBMISSIONS, clients, bootstrap, producer, rules)
