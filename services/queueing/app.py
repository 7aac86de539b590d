"""Queueing's HTTP API for operator UIs, and its consumer (composition root)."""

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from schemas import Answered, Region
from schemas.topics import QUEUEING
from services.queueing.domain import NotFound, QueueError
from services.queueing.handlers import ClassifiedHandler
from services.queueing.outbox import OutboxRelay
from services.queueing.settings import QueueingSettings
from services.queueing.store import QueueStore
from services.queueing.tables import Operator, OutboxRecord, ProcessedEvent, QueueEntry, utc
from services.shared.clock import Clock, make_clock
from services.shared.db import create_tables, make_engine
from services.shared.http import harden, health_router, token_checker
from services.shared.kafka import EventConsumer, EventProducer
from services.shared.runtime import running


class LoginRequest(BaseModel):
    operator_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")
    region: Region


class LoginResponse(BaseModel):
    operator_id: str
    token: str


class AssignedContact(BaseModel):
    contact_id: uuid.UUID
    region: Region
    queue: str
    category: str
    priority: int
    received_at: datetime


_bearer = HTTPBearer(auto_error=False)


def create_app(settings: QueueingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or QueueingSettings()
    settings.refuse_dev_secret("PKC_QUEUEING_UI_TOKENS", settings.ui_tokens)
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    now = clock.now
    engine = make_engine(settings.database_url or settings.default_database_url("queueing"))
    create_tables(engine, QueueEntry, Operator, OutboxRecord, ProcessedEvent)
    producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-queueing")
    store = QueueStore(engine)
    relay = OutboxRelay(store, producer)
    store.on_commit = relay.notify
    consumer = EventConsumer(
        QUEUEING, settings.kafka_bootstrap_servers, ClassifiedHandler(store, clock), producer
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(producer, (consumer,), (relay.run(),)):
            yield

    app = FastAPI(title="PKC queueing", version="1", lifespan=lifespan)
    harden(app)
    ui = Depends(token_checker(settings.tokens))

    def current_operator(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Operator:
        operator = store.operator_by_token(credentials.credentials) if credentials else None
        if operator is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "unknown operator token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return operator

    operator_dep = Annotated[Operator, Depends(current_operator)]

    async def ready() -> dict[str, Any]:
        return {"consumer_assigned": consumer.assigned.is_set()}

    app.include_router(health_router(ready))

    @app.post("/operators/login", dependencies=[ui])
    def log_in(body: LoginRequest) -> LoginResponse:
        token = secrets.token_urlsafe(24)
        store.log_in(body.operator_id, body.region, token, now())
        return LoginResponse(operator_id=body.operator_id, token=token)

    @app.post("/operators/me/next", responses={204: {"description": "nothing is waiting"}})
    def take_next(operator: operator_dep, response: Response) -> AssignedContact | None:
        try:
            entry = store.take_next(operator, [operator.region], now())
        except QueueError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
        if entry is None:
            response.status_code = status.HTTP_204_NO_CONTENT
            return None
        return AssignedContact(
            contact_id=entry.contact_id,
            region=Region(entry.region),
            queue=entry.queue,
            category=entry.category,
            priority=entry.priority,
            received_at=utc(entry.received_at),
        )

    @app.post("/contacts/{contact_id}/answer")
    def answer(contact_id: uuid.UUID, operator: operator_dep) -> Answered:
        try:
            return store.answer(operator, contact_id, now())
        except NotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except QueueError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None

    @app.get("/queues/{region}")
    def queue_state(region: Region) -> dict[str, object]:
        return store.queue_state(region, now())

    return app
