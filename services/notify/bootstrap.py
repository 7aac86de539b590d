"""Notify's composition root: builds the service from its settings (policies, database,
schedule, alert service, outbox, Kafka side, delivery loop). The app, the tests and `pkc` all
assemble notify here; nothing connects before `running()` is entered, except the database,
whose tables and first schedule version are made here, so a bad schedule refuses the start."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine

from domain.service_level import ServiceLevelPolicy
from schemas.topics import NOTIFY
from services.notify.ack import AckLinks
from services.notify.alerts import AlertService
from services.notify.freshness import Freshness
from services.notify.handlers import AlertHandler
from services.notify.outbox import Outbox, RetryPolicy
from services.notify.policy import AlertPolicy
from services.notify.relay import EventOutbox, EventRelay
from services.notify.repository import NotifyStore
from services.notify.retention import purging
from services.notify.schedule_store import ScheduleStore
from services.notify.settings import NotifySettings
from services.notify.tables import Alert, AlertLog, Delivery, EventRecord, ScheduleText
from services.notify.worker import DeliveryWorker
from services.shared.clock import Clock, make_clock
from services.shared.db import create_tables, make_engine
from services.shared.kafka import EventConsumer, EventProducer, kafka_security
from services.shared.runtime import running


@dataclass
class Notify:
    settings: NotifySettings
    clock: Clock
    service_level: ServiceLevelPolicy
    engine: Engine
    store: NotifyStore
    schedules: ScheduleStore
    alerts: AlertService
    outbox: Outbox
    producer: EventProducer
    client: httpx.AsyncClient
    worker: DeliveryWorker
    consumer: EventConsumer
    relay: EventRelay

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The consumer, the delivery loop and the event relay, for as long as the context
        lasts."""
        async with running(self.producer, (self.consumer,)):
            loops = [
                asyncio.create_task(self.worker.run()),
                asyncio.create_task(self.relay.run()),
                asyncio.create_task(
                    purging(self.engine, self.schedules, self.clock, self.settings)
                ),
            ]
            try:
                yield
            finally:
                for loop in loops:
                    loop.cancel()
                for loop in loops:
                    with suppress(asyncio.CancelledError):
                        await loop
        await self.client.aclose()


def alert_policy(settings: NotifySettings) -> AlertPolicy:
    return AlertPolicy(
        escalation=timedelta(minutes=settings.escalation_minutes),
        worsening_step=settings.worsening_step,
        quiet=timedelta(minutes=settings.quiet_minutes),
    )


def open_schedules(settings: NotifySettings, clock: Clock) -> tuple[Engine, ScheduleStore]:
    """Notify's database with its tables, and the schedule in it (seeded from the file)."""
    engine = make_engine(settings.database_url or settings.default_database_url("notify"))
    create_tables(engine, Alert, Delivery, AlertLog, ScheduleText, EventRecord)
    schedules = ScheduleStore(engine)
    seed = settings.schedule_file.read_text("utf-8")
    schedules.seed(seed, str(settings.schedule_file), clock.now())
    return engine, schedules


def bootstrap(settings: NotifySettings | None = None, clock: Clock | None = None) -> Notify:
    settings = settings or NotifySettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    service_level = settings.service_level()
    engine, schedules = open_schedules(settings, clock)
    store = NotifyStore(engine)
    links = AckLinks(
        settings.ack_secret.get_secret_value(),
        settings.ack_base(),
        timedelta(hours=settings.ack_valid_hours),
    )
    alerts = AlertService(
        store,
        schedules.current,
        alert_policy(settings),
        service_level,
        links,
        Freshness(timedelta(minutes=settings.freshness_minutes)),
        settings.webhook_url,
    )
    retry = RetryPolicy(
        settings.delivery_attempts, settings.first_backoff_seconds, settings.claim_seconds
    )
    outbox = Outbox(store, retry)
    producer = EventProducer(
        settings.kafka_bootstrap_servers,
        "pkc-notify",
        kafka_security(settings),
        settings.producer_tuning(),
    )
    client = httpx.AsyncClient()
    worker = DeliveryWorker(alerts, outbox, settings, client, clock)
    relay = EventRelay(EventOutbox(store, settings.claim_seconds), producer, settings.poll_seconds)
    store.on_commit = relay.wake_up
    handler = AlertHandler(alerts, clock, worker.wake)
    consumer = EventConsumer(NOTIFY, settings.kafka_bootstrap_servers, handler, producer)
    return Notify(
        settings,
        clock,
        service_level,
        engine,
        store,
        schedules,
        alerts,
        outbox,
        producer,
        client,
        worker,
        consumer,
        relay,
    )
