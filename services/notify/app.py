"""Notify's process: the SLA-event consumer and its alert log API (composition root)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Query
from sqlmodel import Session, col, select

from schemas.topics import NOTIFY
from services.notify.handlers import AlertHandler
from services.notify.settings import NotifySettings
from services.notify.tables import AlertLog
from services.shared.clock import Clock, make_clock
from services.shared.db import create_tables, make_engine
from services.shared.http import harden, health_router
from services.shared.kafka import EventConsumer, EventProducer
from services.shared.runtime import running


def create_app(settings: NotifySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    settings.refuse_dev_secret("PKC_NOTIFY_WEBHOOK_SECRET", settings.webhook_secret)
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    engine = make_engine(settings.database_url or settings.default_database_url("notify"))
    create_tables(engine, AlertLog)
    producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-notify")
    client = httpx.AsyncClient()
    handler = AlertHandler(settings, engine, client, producer, clock)
    consumer = EventConsumer(NOTIFY, settings.kafka_bootstrap_servers, handler, producer)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(producer, (consumer,)):
            yield
        await client.aclose()

    app = FastAPI(title="PKC notify", version="1", lifespan=lifespan)
    harden(app)

    async def ready() -> dict[str, Any]:
        return {"consumer_assigned": consumer.assigned.is_set()}

    app.include_router(health_router(ready))

    @app.get("/alerts")
    def alerts(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AlertLog]:
        with Session(engine) as session:
            query = select(AlertLog).order_by(col(AlertLog.at).desc()).limit(limit)
            rows = list(session.exec(query))
        for row in rows:  # detached copies: SQLite hands times back without their zone
            row.at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        return rows

    return app
