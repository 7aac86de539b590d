"""The queueing process: its API, its consumer, the outbox relay and the sweeper."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import Depends, FastAPI

from schemas.topics import QUEUEING
from services.queueing.api import build_router
from services.queueing.contacts import Contacts, QueuePolicy
from services.queueing.domain import parse_opening_hours
from services.queueing.handlers import QueueingHandler, sweep
from services.queueing.operators import Operators
from services.queueing.outbox import OutboxRelay
from services.queueing.reinforcements import Reinforcements
from services.queueing.settings import QueueingSettings, split_tokens
from services.queueing.store import QueueDb
from services.shared.clock import Clock, make_clock
from services.shared.db import make_engine
from services.shared.http import harden, health_router, token_checker
from services.shared.kafka import EventConsumer, EventProducer
from services.shared.runtime import running


def create_app(settings: QueueingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or QueueingSettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    engine = make_engine(settings.database_url or settings.default_database_url("queueing"))
    db = QueueDb(engine)
    reinforcements = Reinforcements(db)
    policy = QueuePolicy(parse_opening_hours(settings.opening_hours), settings.closed_outcome)
    contacts = Contacts(db, reinforcements, policy)
    operators = Operators(db)
    producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-queueing")
    relay = OutboxRelay(db, producer)
    db.on_commit = relay.notify
    consumer = EventConsumer(
        QUEUEING,
        settings.kafka_bootstrap_servers,
        QueueingHandler(contacts, reinforcements, clock),
        producer,
    )
    max_wait = (
        timedelta(seconds=settings.max_wait_seconds) if settings.on_max_wait == "abandon" else None
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweeper = sweep(contacts, reinforcements, clock, max_wait, settings.sweep_interval_seconds)
        async with running(producer, (consumer,), (relay.run(), sweeper)):
            yield

    app = FastAPI(
        title="PKC queueing",
        version="1",
        lifespan=lifespan,
        description="Regional operator queues, operators, reinforcement routing.",
    )
    harden(app)

    async def ready() -> dict[str, Any]:
        return {"consumer_assigned": consumer.assigned.is_set()}

    app.include_router(health_router(ready))
    # What the composition root assembled, for tools and tests that drive the same objects.
    app.state.contacts, app.state.operators = contacts, operators
    app.state.reinforcements = reinforcements
    app.include_router(
        build_router(
            contacts,
            operators,
            reinforcements,
            clock.now,
            ui=Depends(token_checker(lambda: split_tokens(settings.ui_tokens))),
            supervisor=Depends(token_checker(lambda: split_tokens(settings.supervisor_tokens))),
            adapter=Depends(token_checker(lambda: split_tokens(settings.adapter_tokens))),
            live_interval=settings.live_interval_seconds,
        )
    )
    return app
