"""Queueing's composition root: the one place its settings, policies, database, use cases,
Kafka consumer and outbox relay are built. The app, the tests and the bench all start here;
nothing connects to anything until `bootstrap` is called."""

from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from schemas.topics import QUEUEING
from services.queueing.callbacks import Callbacks
from services.queueing.cases.wiring import CaseDesk, build_cases, case_sweep, with_cases
from services.queueing.contacts import Contacts
from services.queueing.domain import QueuePolicy
from services.queueing.handlers import QueueingHandler, sweep
from services.queueing.offers import Offers, Wakeup
from services.queueing.operators import Operators
from services.queueing.outbox import OutboxRelay
from services.queueing.outbox_store import OutboxStore
from services.queueing.queue_state import QueueStates
from services.queueing.queue_state_publisher import (
    QueueStatePublisher,
    holds_lease,
    kafka_sender,
)
from services.queueing.reinforcements import Reinforcements
from services.queueing.settings import QueueingSettings
from services.queueing.store import QueueDb
from services.queueing.supervision import Supervision
from services.queueing.transfers import Transfers
from services.queueing.waits import Waits
from services.shared.clock import Clock, make_clock
from services.shared.db import make_engine
from services.shared.kafka import EventConsumer, EventProducer, kafka_security


@dataclass(frozen=True)
class Queueing:
    """The use cases over one database: what routes, consumers, tests and the bench drive."""

    settings: QueueingSettings
    clock: Clock
    policy: QueuePolicy
    db: QueueDb
    contacts: Contacts
    operators: Operators
    reinforcements: Reinforcements
    offers: Offers
    wakeup: Wakeup  # in-process news for open desks (offers.py)
    transfers: Transfers
    supervision: Supervision  # the board's actions
    cases: CaseDesk  # cases the citizen follows (services/queueing/cases)
    waits: Waits  # estimated waits and places (GET /queues/wait, /contacts/{id}/place)
    callbacks: Callbacks  # virtual hold


@dataclass(frozen=True)
class QueueingProcess:
    """The use cases plus what connects them to Kafka: the consumer, the producer and the
    outbox relay, the background sweeper and the queue-state publisher."""

    core: Queueing
    producer: EventProducer
    consumer: EventConsumer
    relay: OutboxRelay
    queue_state: QueueStatePublisher

    def background(self) -> tuple[Coroutine[Any, Any, None], ...]:
        settings = self.core.settings
        max_wait = (
            timedelta(seconds=settings.max_wait_seconds)
            if settings.on_max_wait == "abandon"
            else None
        )
        sweeper = sweep(
            self.core.contacts,
            self.core.reinforcements,
            self.core.clock,
            max_wait,
            settings.sweep_interval_seconds,
            settings.retention(),
            self.core.offers,
            self.core.operators,
        )
        cases = case_sweep(self.core.cases.cases, self.core.clock, settings.sweep_interval_seconds)
        return (self.relay.run(), sweeper, self.queue_state.run(), cases)


def build_core(
    settings: QueueingSettings | None = None,
    clock: Clock | None = None,
    engine: Engine | None = None,
) -> Queueing:
    """The use cases without Kafka (tests and the bench drive these directly)."""
    settings = settings or QueueingSettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    engine = engine or make_engine(
        settings.database_url or settings.default_database_url("queueing")
    )
    policy = settings.queue_policy()
    db = QueueDb(engine)
    reinforcements = Reinforcements(db)
    wakeup, terms = Wakeup(), settings.offer_terms()
    return Queueing(
        settings=settings,
        clock=clock,
        policy=policy,
        db=db,
        contacts=Contacts(
            db,
            reinforcements,
            policy,
            timedelta(seconds=settings.request_retention_seconds),
            terms.wrap_up,
            wakeup.notify,
        ),
        operators=Operators(db, wakeup.notify),
        reinforcements=reinforcements,
        offers=Offers(db, reinforcements, terms, policy, wakeup.notify),
        wakeup=wakeup,
        transfers=Transfers(
            db,
            policy,
            terms.wrap_up,
            wakeup.notify,
            timedelta(seconds=settings.request_retention_seconds),
        ),
        supervision=Supervision(db, wakeup.notify),
        cases=build_cases(db, settings, wakeup.notify),
        waits=Waits(
            db,
            policy,
            settings.assumed_handling_seconds + terms.wrap_up.total_seconds(),
            settings.wait_cache_seconds,
        ),
        callbacks=Callbacks(db, settings.callback_terms(), wakeup.notify),
    )


def bootstrap(
    settings: QueueingSettings | None = None, clock: Clock | None = None
) -> QueueingProcess:
    """The whole process: the use cases, with the outbox relay and the consumer wired to Kafka.
    (Development secrets were already refused outside development by the settings.)"""
    settings = settings or QueueingSettings()
    core = build_core(settings, clock)
    producer = EventProducer(
        settings.kafka_bootstrap_servers,
        "pkc-queueing",
        kafka_security(settings),
        settings.producer_tuning(),
    )
    relay = OutboxRelay(OutboxStore(core.db.engine), producer, settings.outbox_lease_seconds)
    queue_state = queue_state_publisher(core, producer, relay)

    def committed() -> None:
        relay.notify()
        queue_state.notify()

    core.db.on_commit = committed
    handler = QueueingHandler(core.contacts, core.reinforcements, core.clock)
    cases = with_cases(handler, core.cases.cases)
    consumer = EventConsumer(
        QUEUEING, settings.kafka_bootstrap_servers, cases, producer, bulk=handler.bulk()
    )
    return QueueingProcess(core, producer, consumer, relay, queue_state)


def queue_state_publisher(
    core: Queueing, producer: EventProducer, relay: OutboxRelay
) -> QueueStatePublisher:
    """Publishes from the replica whose relay leads (queue_state_publisher.py says why)."""
    states = QueueStates(core.db, core.settings.service_level())
    return QueueStatePublisher(
        read=lambda: states.read(core.clock.now()),
        leads=lambda: holds_lease(core.db.engine, relay.holder),
        send=kafka_sender(producer.send_raw),
        interval_seconds=core.settings.queue_state_interval_seconds,
        check_seconds=core.settings.live_interval_seconds,
    )
