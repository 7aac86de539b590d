"""The supervisor board: its page (public shell, like reporting's dashboard), its data (a
snapshot and a live stream) and its actions, each audited by person: force an operator's
sign-out, move a waiting contact to another queue of its region, raise a waiting contact's
priority. Ordering and ending reinforcements are the existing /reinforcements routes."""

import asyncio
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from schemas import QueueName, Region
from services.queueing.board_data import Board, BoardReader, OperatorOnBoard
from services.queueing.bootstrap import Queueing
from services.queueing.dependencies import Core, Now, Supervisor, actor
from services.queueing.domain import Forbidden
from services.queueing.queue_state import QueueStates
from services.queueing.views import AssignedContact, OperatorView
from services.shared import pages
from services.shared.identity import Principal
from services.shared.live import EVENT_STREAM, live_stream
from services.shared.pages import SignIn

PAGE = Path(__file__).with_name("board.html")
SCRIPT = Path(__file__).with_name("board.js")
router = APIRouter(tags=["supervisors"])


class MoveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: QueueName = Field(description="another queue of the contact's region")


class PriorityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: int = Field(ge=1, le=5, description="more urgent than now (1 is the most urgent)")


@router.get("/board", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    """The supervisor board (public: the shell holds no data; it signs the person in with the
    shared page script, /pages/signin.js, then reads /board/stream and acts with their token)."""
    return HTMLResponse(pages.render(PAGE, {}))


class BoardConfig(SignIn):
    """Where the board signs a person in, and the services it reads beside queueing."""

    reporting_url: str | None = Field(description="service levels: /sla/stream; none: not set")
    notify_url: str | None = Field(description="open alerts and acknowledging; none: not set")


@router.get("/board.js", include_in_schema=False)
async def script() -> Response:
    """The board's own script (the shared sign-in script is /pages/signin.js)."""
    return Response(
        pages.render(SCRIPT, {}),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/board/config")
async def sign_in(core: Core) -> BoardConfig:
    """Where the board signs a person in and which reporting and notify it reads with their
    token (public: the page needs it before sign-in; base addresses, nothing secret)."""
    settings = core.settings
    return BoardConfig(
        issuer=settings.oidc_issuer,
        client_id=settings.board_client_id,
        reporting_url=settings.reporting_url.rstrip("/") if settings.reporting_url else None,
        notify_url=settings.notify_url.rstrip("/") if settings.notify_url else None,
    )


def reader(core: Queueing) -> BoardReader:
    states = QueueStates(core.db, core.settings.service_level())
    return BoardReader(core.db, states, core.reinforcements)


def scope(supervisor: Principal) -> Region | None:
    """The regions whose people and contacts the supervisor sees: all (None) when national."""
    if supervisor.national:
        return None
    if supervisor.region is None:
        raise Forbidden("this token names no region to lead")
    return supervisor.region


@router.get("/operators")
def operators_on_board(
    supervisor: Supervisor,
    core: Core,
    now: Now,
    region: Annotated[Region | None, Query(description="one region; default: all you lead")] = None,
) -> list[OperatorOnBoard]:
    """Operators by state, with time in state and pause reason: a regional supervisor's own
    region, a national one's every region (or the one asked for)."""
    if region is not None:
        supervisor.require_region(region)
    return reader(core).operators(region or scope(supervisor), now)


@router.get("/board/data")
def board_data(supervisor: Supervisor, core: Core, now: Now) -> Board:
    """What the board shows, once: every region's queue state; the operators, the longest
    waiting contacts of the regions the caller leads; the open reinforcement orders."""
    return reader(core).board(scope(supervisor), now)


@router.get("/board/stream", response_class=StreamingResponse, responses=EVENT_STREAM)
async def board_stream(supervisor: Supervisor, request: Request, core: Core) -> StreamingResponse:
    """Server-sent events `board`: the board's data whenever it changes (one reader per scope
    for every listener, at most `live_max_streams_per_person` per person)."""
    board = reader(core)
    region = scope(supervisor)

    async def read() -> dict[str, object]:
        data = await asyncio.to_thread(board.board, region, core.clock.now())
        return data.model_dump(mode="json")

    def without_time(state: dict[str, object]) -> dict[str, object]:
        # Times move every read; a change of what waits or who works is what is news.
        regions = [{k: v for k, v in r.items() if k != "as_of"} for r in state["regions"]]  # type: ignore[attr-defined]
        operators = [
            {k: v for k, v in o.items() if k != "seconds_in_state"}
            for o in state["operators"]  # type: ignore[attr-defined]
        ]
        waiting = [
            {k: v for k, v in w.items() if k != "waited_seconds"}
            for w in state["waiting"]  # type: ignore[attr-defined]
        ]
        return {
            "regions": regions,
            "operators": operators,
            "waiting": waiting,
            "orders": state["orders"],
        }

    settings = core.settings
    key = region.value if region else "national"
    return live_stream(
        request,
        supervisor,
        settings,
        "board",
        key,
        read,
        settings.live_interval_seconds,
        changes=without_time,
    )


@router.post("/operators/{operator_id}/sign-out")
def force_sign_out(operator_id: str, supervisor: Supervisor, core: Core, now: Now) -> OperatorView:
    """Ends an operator's session (audited with the supervisor's name): what they held
    unanswered goes back to its place in the queue."""
    signed_out = core.supervision.sign_out(
        actor(supervisor), supervisor.may_act_in, operator_id, now
    )
    return OperatorView.of(signed_out)


@router.post("/contacts/{contact_id}/move")
def move_contact(
    contact_id: uuid.UUID, body: MoveRequest, supervisor: Supervisor, core: Core, now: Now
) -> AssignedContact:
    """Puts a waiting contact in another queue of its region (its place by rank is kept)."""
    moved = core.supervision.move(
        actor(supervisor), supervisor.may_act_in, contact_id, body.queue, now
    )
    return AssignedContact.of(moved)


@router.post("/contacts/{contact_id}/priority")
def raise_priority(
    contact_id: uuid.UUID, body: PriorityRequest, supervisor: Supervisor, core: Core, now: Now
) -> AssignedContact:
    """Makes a waiting contact more urgent: ranked as if it had come with that priority."""
    raised = core.supervision.raise_priority(
        actor(supervisor), supervisor.may_act_in, contact_id, body.priority, now
    )
    return AssignedContact.of(raised)
