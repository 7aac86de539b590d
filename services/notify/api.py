"""Notify's HTTP API: alerts and their log, acknowledgement (bearer token or signed link), and
the on-call schedule. Thin: each route parses, calls the service, and returns; domain errors
become HTTP statuses in one place (`ERROR_STATUS`). Database work runs in worker threads."""

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, cast

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from schemas import Region
from services.notify.ack import BadToken, verify_ack
from services.notify.alerts import AlertNotFound
from services.notify.bootstrap import Notify
from services.notify.schedule import ScheduleError
from services.notify.tables import Alert, AlertLog
from services.shared.http import Credentials, token_checker


def _notify_of(request: Request) -> Notify:
    return cast(Notify, request.app.state.notify)


# Async though they do no I/O: FastAPI runs a plain `def` dependency in its thread pool.
async def _notify(request: Request) -> Notify:
    return _notify_of(request)


async def _require_staff(request: Request, credentials: Credentials) -> None:
    token_checker(_notify_of(request).settings.tokens)(credentials)


NotifyService = Annotated[Notify, Depends(_notify)]
# Alerts and the schedule name on-call staff and their addresses: staff tokens only.
STAFF = [Depends(_require_staff)]
Limit = Annotated[int, Query(ge=1, le=1000)]

alerts_router = APIRouter(tags=["alerts"])
oncall_router = APIRouter(prefix="/oncall", tags=["on-call"], dependencies=STAFF)


class AckRequest(BaseModel):
    by: str = Field(min_length=1, max_length=64, pattern=r"^[\w.@\-]+$")


class Acknowledged(BaseModel):
    alert_id: uuid.UUID
    status: str  # acknowledged, or already acknowledged


class OnCallView(BaseModel):
    region: Region
    at: datetime
    level: int
    person: str
    name: str
    email: str | None
    webhook: bool


class ScheduleDocument(BaseModel):
    yaml: str
    version: int


class ScheduleSaved(BaseModel):
    people: int
    rotations: int
    version: int


@alerts_router.get("/alerts", dependencies=STAFF)
def alerts(notify: NotifyService, limit: Limit = 100) -> list[Alert]:
    """Recent alerts with their level and acknowledgement (no citizen data)."""
    return notify.store.recent(limit)


@alerts_router.get("/alerts/log", dependencies=STAFF)
def alert_log(notify: NotifyService, limit: Limit = 200) -> list[AlertLog]:
    """Every delivery, failure, escalation and acknowledgement, newest first."""
    return notify.store.log(limit)


async def _acknowledge(notify: Notify, alert_id: uuid.UUID, by: str, via: str) -> Acknowledged:
    now = notify.clock.now()
    event = await asyncio.to_thread(notify.alerts.acknowledge, alert_id, by, via, now)
    if event is not None:
        await notify.producer.publish(event)
    state = "acknowledged" if event is not None else "already acknowledged"
    return Acknowledged(alert_id=alert_id, status=state)


@alerts_router.post(
    "/alerts/{alert_id}/ack",
    dependencies=STAFF,
    responses={404: {"description": "no such alert"}},
)
async def acknowledge(alert_id: uuid.UUID, body: AckRequest, notify: NotifyService) -> Acknowledged:
    return await _acknowledge(notify, alert_id, body.by, "api")


@alerts_router.get(
    "/ack",
    responses={403: {"description": "forged or expired link"}, 404: {"description": "gone"}},
)
async def acknowledge_by_link(
    token: Annotated[str, Query(min_length=1, max_length=512)], notify: NotifyService
) -> Acknowledged:
    """The signed link in every alert: the holder acknowledges that one alert."""
    alert_id = verify_ack(notify.settings.ack_secret.get_secret_value(), token, notify.clock.now())
    return await _acknowledge(notify, alert_id, "link", "link")


@oncall_router.get("")
def on_call(
    notify: NotifyService, region: Region, at: AwareDatetime | None = None
) -> list[OnCallView]:
    """Who is on call for a region at a time (now by default), level by level: the schedule's
    current version, whichever replica stored it."""
    when = at or notify.clock.now()
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
        for c in notify.schedules.current().chain(region, when)
    ]


@oncall_router.get("/schedule")
def schedule_text(notify: NotifyService) -> ScheduleDocument:
    current = notify.schedules.current_version()
    return ScheduleDocument(yaml=current.text, version=current.number)


@oncall_router.put(
    "/schedule", responses={422: {"description": "the schedule names the entry that is wrong"}}
)
def replace_schedule(
    text: Annotated[str, Body(embed=True, alias="yaml", max_length=200_000)],
    notify: NotifyService,
) -> ScheduleSaved:
    """Replaces the schedule (YAML, or JSON) for every replica; a bad one is refused with the
    entry named, the current one kept."""
    saved = notify.schedules.replace(text, notify.clock.now())
    people, rotations = len(saved.schedule.people), len(saved.schedule.rotations)
    return ScheduleSaved(people=people, rotations=rotations, version=saved.number)


ERROR_STATUS: dict[type[Exception], int] = {
    AlertNotFound: status.HTTP_404_NOT_FOUND,
    BadToken: status.HTTP_403_FORBIDDEN,
    ScheduleError: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    # The messages are written for the caller: they name the entry, never personal data.
    return JSONResponse({"detail": str(exc)}, status_code=ERROR_STATUS[type(exc)])


def install(app: FastAPI) -> None:
    """Notify's routes and its one mapping of domain errors to HTTP."""
    app.include_router(alerts_router)
    app.include_router(oncall_router)
    for error in ERROR_STATUS:
        app.add_exception_handler(error, _domain_error)
