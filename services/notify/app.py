"""Notify's process: the SLA-event consumer, the delivery worker, and the API for alerts,
acknowledgements and the on-call schedule (composition root)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import Annotated, Any

import httpx
from fastapi import Body, Depends, FastAPI, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel, Field
from sqlmodel import Session, col, select

from schemas import Region
from schemas.topics import NOTIFY
from services.notify.ack import BadToken, verify_ack
from services.notify.alerts import AlertBook, NotFound
from services.notify.handlers import AlertHandler
from services.notify.schedule import Schedule, ScheduleError, load_schedule
from services.notify.settings import NotifySettings
from services.notify.tables import Alert, AlertLog, Delivery, ScheduleText
from services.notify.worker import DeliveryWorker
from services.shared.clock import Clock, make_clock
from services.shared.db import create_tables, make_engine
from services.shared.http import harden, health_router, token_checker
from services.shared.kafka import EventConsumer, EventProducer
from services.shared.runtime import running


class AckRequest(BaseModel):
    by: str = Field(min_length=1, max_length=64, pattern=r"^[\w.@\-]+$")


class OnCallView(BaseModel):
    region: Region
    at: datetime
    level: int
    person: str
    name: str
    email: str | None
    webhook: bool


def create_app(settings: NotifySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    engine = make_engine(settings.database_url or settings.default_database_url("notify"))
    create_tables(engine, Alert, Delivery, AlertLog, ScheduleText)
    current = _initial_schedule(engine, settings)  # refuses to start on a bad schedule
    producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-notify")
    client = httpx.AsyncClient()
    book = AlertBook(engine, settings, lambda: current[0])
    worker = DeliveryWorker(book, settings, client, producer, clock)
    consumer = EventConsumer(
        NOTIFY, settings.kafka_bootstrap_servers, AlertHandler(book, clock, worker.wake), producer
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(producer, (consumer,)):
            delivering = asyncio.create_task(worker.run())
            try:
                yield
            finally:
                delivering.cancel()
                with suppress(asyncio.CancelledError):
                    await delivering
        await client.aclose()

    app = FastAPI(title="PKC notify", version="1", lifespan=lifespan)
    harden(app)
    staff = Depends(token_checker(settings.tokens))

    async def ready() -> dict[str, Any]:
        return {"consumer_assigned": consumer.assigned.is_set()}

    app.include_router(health_router(ready))

    # Alerts and the schedule name on-call staff and their addresses: staff tokens only.
    @app.get("/alerts", tags=["alerts"], dependencies=[staff])
    def alerts(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Alert]:
        """Recent alerts with their level and acknowledgement (no citizen data)."""
        return book.recent(limit)

    @app.get("/alerts/log", tags=["alerts"], dependencies=[staff])
    def alert_log(limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AlertLog]:
        """Every delivery, failure, escalation and acknowledgement, newest first."""
        return book.log(limit)

    async def _acknowledge(alert_id: uuid.UUID, by: str, via: str) -> dict[str, str]:
        try:
            event = await asyncio.to_thread(book.acknowledge, alert_id, by, via, clock.now())
        except NotFound:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such alert") from None
        if event is not None:
            await producer.publish(event)
        state = "acknowledged" if event is not None else "already acknowledged"
        return {"alert_id": str(alert_id), "status": state}

    @app.post(
        "/alerts/{alert_id}/ack",
        dependencies=[staff],
        tags=["alerts"],
        responses={404: {"description": "no such alert"}},
    )
    async def acknowledge(alert_id: uuid.UUID, body: AckRequest) -> dict[str, str]:
        return await _acknowledge(alert_id, body.by, "api")

    @app.get(
        "/ack",
        tags=["alerts"],
        responses={403: {"description": "forged or expired link"}, 404: {"description": "gone"}},
    )
    async def acknowledge_by_link(
        token: Annotated[str, Query(min_length=1, max_length=512)],
    ) -> dict[str, str]:
        """The signed link in every alert: the holder acknowledges that one alert."""
        try:
            alert_id = verify_ack(settings.ack_secret, token, clock.now())
        except BadToken as exc:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
        return await _acknowledge(alert_id, "link", "link")

    @app.get("/oncall", tags=["on-call"], dependencies=[staff])
    def on_call(region: Region, at: AwareDatetime | None = None) -> list[OnCallView]:
        """Who is on call for a region at a time (now by default), level by level."""
        when = at or clock.now()
        return [
            OnCallView(
                region=region,
                at=when,
                level=c.level,
                person=c.person.id,
                name=c.person.name,
                email=c.person.email,
                webhook=c.person.webhook is not None,
            )
            for c in current[0].chain(region, when)
        ]

    @app.get("/oncall/schedule", tags=["on-call"], dependencies=[staff])
    def schedule_text() -> dict[str, str]:
        return {"yaml": _latest_text(engine) or settings.schedule_file.read_text("utf-8")}

    @app.put(
        "/oncall/schedule",
        tags=["on-call"],
        dependencies=[staff],
        responses={422: {"description": "the schedule names the entry that is wrong"}},
    )
    def replace_schedule(
        text: Annotated[str, Body(embed=True, alias="yaml", max_length=200_000)],
    ) -> dict[str, int]:
        """Replaces the schedule; a bad one is refused with the entry named, the old kept."""
        try:
            parsed = load_schedule(text, "schedule")
        except ScheduleError as exc:
            raise HTTPException(422, str(exc)) from None
        with Session(engine) as session:
            session.add(ScheduleText(text=text, saved_at=clock.now()))
            session.commit()
        current[0] = parsed
        return {"people": len(parsed.people), "rotations": len(parsed.rotations)}

    return app


def _latest_text(engine: Any) -> str | None:
    with Session(engine) as session:
        query = select(ScheduleText).order_by(col(ScheduleText.id).desc()).limit(1)
        row = session.exec(query).first()
        return row.text if row else None


def _initial_schedule(engine: Any, settings: NotifySettings) -> list[Schedule]:
    """The schedule last saved through the API, else the file. A list: replaced in place."""
    saved = _latest_text(engine)
    if saved is not None:
        return [load_schedule(saved, "the saved schedule")]
    return [load_schedule(settings.schedule_file.read_text("utf-8"), str(settings.schedule_file))]
