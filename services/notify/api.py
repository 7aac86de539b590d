"""Notify's HTTP API: alerts and their log, acknowledgement by the signed-in on-call person,
and the on-call schedule; the signed link's pages are in ack_routes.py. Every route but those
(PUBLIC_ROUTES) needs a bearer token of the roles it names. Thin: each route parses, checks
who may, calls the service, and returns; domain errors become HTTP statuses in one place
(`ERROR_STATUS`). Database work runs in worker threads."""

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, cast

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel

from schemas import AlertAcknowledged, Region
from services.notify.acknowledgement import Acknowledger, AlertNotFound
from services.notify.bootstrap import Notify
from services.notify.erasure_routes import erasure_router
from services.notify.schedule import ScheduleError
from services.notify.schedule_store import Editor
from services.notify.tables import Alert, AlertLog
from services.shared.http import caller
from services.shared.identity import NotAllowed, Principal, Role


def _notify_of(request: Request) -> Notify:
    return cast(Notify, request.app.state.notify)


# Async though they do no I/O: FastAPI runs a plain `def` dependency in its thread pool.
async def _notify(request: Request) -> Notify:
    return _notify_of(request)


NotifyService = Annotated[Notify, Depends(_notify)]
# Alerts and their log name on-call staff; the schedule also their addresses.
AlertReader = Annotated[Principal, caller(Role.ONCALL, Role.SUPERVISOR, Role.AUDITOR)]
OnCallStaff = Annotated[Principal, caller(Role.ONCALL, Role.SUPERVISOR)]
Supervisor = Annotated[Principal, caller(Role.SUPERVISOR)]
Limit = Annotated[int, Query(ge=1, le=1000)]

# The only routes without a bearer token, on purpose: the signed link in an alert is their
# credential (services/notify/ack_routes.py). Read by the test of every route's roles.
PUBLIC_ROUTES = frozenset({("GET", "/ack"), ("POST", "/ack")})

alerts_router = APIRouter(tags=["alerts"])
oncall_router = APIRouter(prefix="/oncall", tags=["on-call"])


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


class ScheduleVersion(BaseModel):
    version: int
    saved_at: datetime
    saved_by: str | None  # None: seeded from the file at the first start


@alerts_router.get("/alerts")
def alerts(notify: NotifyService, _: AlertReader, limit: Limit = 100) -> list[Alert]:
    """Recent alerts with their level and acknowledgement (no citizen data)."""
    return notify.store.recent(limit)


@alerts_router.get("/alerts/log")
def alert_log(
    notify: NotifyService,
    _: AlertReader,
    limit: Limit = 200,
    person: Annotated[str | None, Query(max_length=255, description="who acknowledged")] = None,
    region: Region | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> list[AlertLog]:
    """Every delivery, failure, escalation and acknowledgement (naming who), and what an event
    too old to send would have sent (skipped_stale), newest first; narrowed by the person who
    acknowledged (user name or subject), region and time."""
    return notify.store.log(limit, person, region, since, until)


async def acknowledge_as(
    notify: Notify, alert_id: uuid.UUID, by: Acknowledger
) -> AlertAcknowledged | None:
    """Acknowledges (in a worker thread); None if it was already. The event is written with
    the acknowledgement, and the event relay publishes it."""
    now = notify.clock.now()
    return await asyncio.to_thread(notify.alerts.acknowledge, alert_id, by, now)


@alerts_router.post(
    "/alerts/{alert_id}/ack",
    responses={
        403: {"description": "not on call for the alert's region"},
        404: {"description": "no such alert"},
    },
)
async def acknowledge(
    alert_id: uuid.UUID, notify: NotifyService, person: OnCallStaff
) -> Acknowledged:
    """The signed-in on-call person (or supervisor) acknowledges, as themselves: the person
    comes from the token, never from the body. Only in their region, unless national."""
    alert = await asyncio.to_thread(notify.store.alert, alert_id)
    if alert is None:
        raise AlertNotFound("no such alert")
    person.require_region(Region(alert.region))
    by = Acknowledger.signed_in(person.name, person.subject)
    event = await acknowledge_as(notify, alert_id, by)
    state = "acknowledged" if event is not None else "already acknowledged"
    return Acknowledged(alert_id=alert_id, status=state)


@oncall_router.get("")
def on_call(
    notify: NotifyService, _: OnCallStaff, region: Region, at: AwareDatetime | None = None
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
def schedule_text(notify: NotifyService, _: OnCallStaff) -> ScheduleDocument:
    current = notify.schedules.current_version()
    return ScheduleDocument(yaml=current.text, version=current.number)


@oncall_router.get("/schedule/versions")
def schedule_versions(
    notify: NotifyService,
    _: Annotated[Principal, caller(Role.SUPERVISOR, Role.AUDITOR)],
    limit: Limit = 50,
) -> list[ScheduleVersion]:
    """Who saved which version of the schedule, when, newest first."""
    return [
        ScheduleVersion(version=v.number, saved_at=v.saved_at, saved_by=v.saved_by)
        for v in notify.schedules.history(limit)
    ]


@oncall_router.put(
    "/schedule",
    responses={
        403: {"description": "only a national supervisor replaces the schedule"},
        422: {"description": "the schedule names the entry that is wrong"},
    },
)
def replace_schedule(
    text: Annotated[str, Body(embed=True, alias="yaml", max_length=200_000)],
    notify: NotifyService,
    person: Supervisor,
) -> ScheduleSaved:
    """Replaces the schedule (YAML, or JSON) for every replica, recording who saved it; a bad
    one is refused with the entry named, the current one kept. National supervisors only: the
    schedule is one document covering every region, so a regional supervisor's edit could
    change another region's on-call."""
    if not person.national:
        raise NotAllowed("only a national supervisor may replace the schedule")
    editor = Editor(person.name, person.subject)
    saved = notify.schedules.replace(text, notify.clock.now(), by=editor)
    people, rotations = len(saved.schedule.people), len(saved.schedule.rotations)
    return ScheduleSaved(people=people, rotations=rotations, version=saved.number)


ERROR_STATUS: dict[type[Exception], int] = {
    AlertNotFound: status.HTTP_404_NOT_FOUND,
    ScheduleError: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    # The messages are written for the caller: they name the entry, never personal data.
    return JSONResponse({"detail": str(exc)}, status_code=ERROR_STATUS[type(exc)])


def install(app: FastAPI) -> None:
    """Notify's routes and its one mapping of domain errors to HTTP."""
    app.include_router(alerts_router)
    app.include_router(oncall_router)
    app.include_router(erasure_router)
    for error in ERROR_STATUS:
        app.add_exception_handler(error, _domain_error)
