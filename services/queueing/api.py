"""Queueing's HTTP routes: operators, supervisors, channel adapters and live queue state.

Routes parse, call one use case and shape the answer; refusals (QueueError) become HTTP
statuses in one exception handler (dependencies.map_refusals). Database work is synchronous,
so the routes are plain `def`s that FastAPI runs on its thread pool, off the event loop.
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from schemas import Abandoned, Answered, ContactResolved, Region
from services.queueing import desk
from services.queueing.board import router as board_router
from services.queueing.bootstrap import Queueing
from services.queueing.dependencies import (
    ADAPTER,
    AuditReader,
    Core,
    CurrentOperator,
    Now,
    OperatorPerson,
    Person,
    RequestKey,
    Supervisor,
    actor,
)
from services.queueing.domain import AuditQuery, Forbidden
from services.queueing.offers import Listener
from services.queueing.presence import PauseReason
from services.queueing.requests import IDEMPOTENCY_HEADER
from services.queueing.retention import erase_contact
from services.queueing.tables import AuditRecord, utc
from services.queueing.transfer_routes import router as transfer_router
from services.queueing.views import (
    AbandonRequest,
    AssignedContact,
    DeskView,
    LoginRequest,
    OperatorView,
    OrderRequest,
    OrderView,
    OutcomeRequest,
    PauseRequest,
)
from services.shared.erasure import Auditor, Erased
from services.shared.identity import Principal
from services.shared.live import EVENT_STREAM, HEARTBEAT_SECONDS, live_stream

operators = APIRouter(prefix="/operators", tags=["operators"])
contacts = APIRouter(prefix="/contacts")
reinforcements = APIRouter(tags=["supervisors"])
live = APIRouter(prefix="/queues", tags=["live"])


@operators.post(
    "/login", responses={409: {"description": "signed in elsewhere; ask for a takeover"}}
)
def sign_in(body: LoginRequest, person: OperatorPerson, core: Core, now: Now) -> OperatorView:
    """Opens the signed-in operator's session in their home region (from their token): later
    calls carry the same token. A second sign-in while a session is open needs `takeover`."""
    if person.region is None:
        raise Forbidden("an operator works in a home region, and this token names none")
    operator = core.operators.sign_in(actor(person), person.region, body.skills, body.takeover, now)
    return OperatorView.of(operator)


@operators.get("/me")
def me(operator: CurrentOperator) -> OperatorView:
    return OperatorView.of(operator)


@operators.post("/me/pause")
def pause(body: PauseRequest, operator: CurrentOperator, core: Core, now: Now) -> OperatorView:
    """Paused with a reason (an offer on the desk goes back to its place in the queue)."""
    paused = core.operators.pause(operator.operator_id, PauseReason(body.reason), now)
    return OperatorView.of(paused)


@operators.post("/me/ready")
def ready(operator: CurrentOperator, core: Core, now: Now) -> OperatorView:
    """Ends the caller's wrap-up before its time (or their pause): ready for the next offer."""
    return OperatorView.of(core.operators.make_ready(operator.operator_id, now))


@operators.post("/me/resume")
def resume(operator: CurrentOperator, core: Core, now: Now) -> OperatorView:
    return OperatorView.of(core.operators.resume(operator.operator_id, now))


@operators.post("/me/logout")
def log_out(operator: CurrentOperator, core: Core, now: Now) -> OperatorView:
    return OperatorView.of(core.operators.log_out(operator.operator_id, now))


@operators.post("/me/next", responses={204: {"description": "nothing is waiting"}})
def take_next(
    operator: CurrentOperator, core: Core, now: Now, response: Response
) -> AssignedContact | None:
    """The next contact, assigned to the caller; the one they already hold unanswered, if any
    (so a retry after a lost response gets the same contact, never a second one)."""
    contact = core.contacts.take_next(operator.operator_id, now)
    if contact is None:
        response.status_code = status.HTTP_204_NO_CONTENT
        return None
    return AssignedContact.of(contact)


@operators.get("/me/offers/stream", response_class=StreamingResponse, responses=EVENT_STREAM)
async def offers_stream(
    operator: CurrentOperator, who: OperatorPerson, request: Request, core: Core
) -> StreamingResponse:
    """Server-sent events `desk`: the caller's presence and the offer on their desk, whenever
    either changes. While the stream is open and the caller ready, the next contact is
    reserved for them and pushed (services/queueing/offers.py has the latencies)."""
    return live_stream(
        request, who, core.settings, "desk", operator.operator_id, desk_reader(core, who), 0.01
    )


def desk_reader(core: Queueing, who: Principal) -> Callable[[], Awaitable[dict[str, object]]]:
    """Reads the caller's desk when woken (a contact queued or freed here, an operator
    ready), when its offer or wrap-up ends, or every `offer_poll_seconds` at the latest."""
    listener: Listener | None = None
    deadline: datetime | None = None

    async def read() -> dict[str, object]:
        nonlocal listener, deadline
        if listener is None:
            listener = core.wakeup.listen()
        else:
            wait = core.settings.offer_poll_seconds
            if deadline is not None:
                wait = min(wait, (deadline - core.clock.now()).total_seconds() + 0.01)
            await listener.wait(wait)
        desk = await asyncio.to_thread(core.offers.desk, who.subject, core.clock.now())
        wrap_up_until = desk.operator.wrap_up_until if desk else None
        # SQLite hands times back without their zone; every stored time is UTC.
        deadline = (desk.offer_expires_at if desk else None) or (
            utc(wrap_up_until) if wrap_up_until else None
        )
        view = DeskView.of(desk)
        # A quiet desk still speaks every HEARTBEAT_SECONDS: `beat` is what changes.
        return {**view.model_dump(mode="json"), "beat": int(time.monotonic() // HEARTBEAT_SECONDS)}

    return read


@contacts.post("/{contact_id}/accept", tags=["operators"])
def accept(
    contact_id: uuid.UUID, operator: CurrentOperator, core: Core, now: Now
) -> AssignedContact:
    """Takes the offer on the caller's desk: they are busy, the contact theirs to answer."""
    return AssignedContact.of(core.offers.accept(operator, contact_id, now))


@contacts.post("/{contact_id}/reject", tags=["operators"])
def reject(contact_id: uuid.UUID, operator: CurrentOperator, core: Core, now: Now) -> OperatorView:
    """Declines the offer: the contact goes back to its place in the queue, and the caller is
    paused (offer_declined) until they say they are ready."""
    return OperatorView.of(core.offers.reject(operator, contact_id, now))


RETRIED: dict[int | str, dict[str, Any]] = {
    409: {"description": f"refused; or an {IDEMPOTENCY_HEADER} reused for another request"}
}


@contacts.post("/{contact_id}/answer", tags=["operators"], responses=RETRIED)
def answer(
    contact_id: uuid.UUID, operator: CurrentOperator, core: Core, now: Now, key: RequestKey = None
) -> Answered:
    """Answers the contact the caller holds. Answering it again returns the first answer."""
    return core.contacts.answer(operator, contact_id, now, key)


@contacts.post("/{contact_id}/outcome", tags=["operators"], responses=RETRIED)
def outcome(
    contact_id: uuid.UUID,
    body: OutcomeRequest,
    operator: CurrentOperator,
    core: Core,
    now: Now,
    key: RequestKey = None,
) -> ContactResolved:
    """Records the outcome of the contact the caller answered. Sending the same outcome again
    returns the first response; a different one is refused (409)."""
    return core.contacts.resolve(operator, contact_id, body.outcome, now, key)


@contacts.post("/{contact_id}/abandon", dependencies=[ADAPTER], tags=["adapters"])
def abandon(contact_id: uuid.UUID, body: AbandonRequest, core: Core, now: Now) -> Abandoned:
    """A channel adapter reports that the caller hung up before an answer."""
    return core.contacts.abandon(contact_id, now, body.reason)


@contacts.post(
    "/{contact_id}/erase",
    tags=["auditors"],
    responses={409: {"description": "still waiting or assigned; erase it once it has ended"}},
)
def erase(contact_id: uuid.UUID, auditor: Auditor, core: Core, now: Now) -> Erased:
    """Removes what queueing keeps of the contact and audits who erased it (docs/retention.md)."""
    removed = erase_contact(core.db, contact_id, actor(auditor), now)
    return Erased(
        service="queueing", contact_id=contact_id, erased_by=auditor.name, removed=removed
    )


@reinforcements.post("/reinforcements", status_code=status.HTTP_201_CREATED)
def order(body: OrderRequest, supervisor: Supervisor, core: Core, now: Now) -> OrderView:
    """A supervisor of the reinforced region (or national) orders operators in."""
    supervisor.require_region(body.region)
    ordered_by = actor(supervisor)
    created = core.reinforcements.order(
        body.region, tuple(body.donors), body.until, ordered_by, now
    )
    return OrderView.of(created)


@reinforcements.get("/reinforcements")
def active_orders(_: Person, core: Core, now: Now) -> list[OrderView]:
    return [OrderView.of(o) for o in core.reinforcements.active(now)]


@reinforcements.delete("/reinforcements/{order_id}")
def end_order(order_id: uuid.UUID, supervisor: Supervisor, core: Core, now: Now) -> dict[str, str]:
    core.reinforcements.end(
        order_id, actor(supervisor), "ended_early", now, allowed=supervisor.may_act_in
    )
    return {"order_id": str(order_id), "status": "ended"}


@reinforcements.get("/audit")
def audit(
    reader: AuditReader,
    core: Core,
    person: Annotated[str | None, Query(max_length=64, description="user name or subject")] = None,
    region: Region | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditRecord]:
    """Who changed what, newest first. A regional supervisor reads their own region only."""
    if region is None and not reader.national:
        if reader.region is None:
            raise Forbidden("this token names no region to read the audit of")
        region = reader.region
    if region is not None:
        reader.require_region(region)
    records = core.db.audit_log(AuditQuery(person, region, since, until, limit))
    for record in records:  # detached copies: SQLite hands times back without their zone
        record.at = utc(record.at)
    return records


@live.get("")
def all_queues(_: Person, core: Core, now: Now) -> list[dict[str, object]]:
    return [core.contacts.state(region, now) for region in Region]


@live.get("/{region}")
def queue_state(region: Region, _: Person, core: Core, now: Now) -> dict[str, object]:
    return core.contacts.state(region, now)


@live.get("/{region}/stream", response_class=StreamingResponse, responses=EVENT_STREAM)
async def stream(region: Region, who: Person, request: Request, core: Core) -> StreamingResponse:
    """Server-sent events: the region's queue state whenever it changes (and a heartbeat); one
    reader per region for every listener, at most `live_max_streams_per_person` per person."""

    async def state() -> dict[str, object]:
        return await asyncio.to_thread(core.contacts.state, region, core.clock.now())

    def without_time(state: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in state.items() if k != "at"}

    settings = core.settings
    interval = settings.live_interval_seconds
    return live_stream(
        request, who, settings, "queue", region.value, state, interval, changes=without_time
    )


ROUTERS = (operators, contacts, reinforcements, live, desk.router, transfer_router, board_router)
