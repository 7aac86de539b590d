"""Queueing's HTTP routes: operators, supervisors, channel adapters and live queue state."""

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, Field

from schemas import Abandoned, Answered, ContactResolved, DonorLoan, QueueName, Region
from services.queueing.contacts import Contacts
from services.queueing.domain import Forbidden, NotFound, Outcome, QueueError
from services.queueing.operators import Operators
from services.queueing.reinforcements import Reinforcements
from services.queueing.tables import AuditRecord, Operator, ReinforcementOrder, utc

_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class LoginRequest(BaseModel):
    operator_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")
    region: Region
    skills: list[QueueName] = Field(default_factory=list, description="queues; empty means all")


class LoginResponse(BaseModel):
    operator_id: str
    region: Region
    token: str


class PauseRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class OperatorView(BaseModel):
    operator_id: str
    region: Region
    status: str
    skills: list[str]
    lent_to_order: uuid.UUID | None


class AssignedContact(BaseModel):
    contact_id: uuid.UUID
    region: Region
    queue: str
    category: str
    priority: int
    received_at: datetime
    reinforcement_order: uuid.UUID | None


class OutcomeRequest(BaseModel):
    outcome: Outcome


class AbandonRequest(BaseModel):
    reason: Literal["hung_up"] = "hung_up"


class OrderRequest(BaseModel):
    region: Region
    donors: list[DonorLoan] = Field(min_length=1)
    until: AwareDatetime


class OrderView(BaseModel):
    order_id: uuid.UUID
    region: Region
    donors: dict[str, int]
    until: datetime
    ordered_by: str
    ended_at: datetime | None
    end_reason: str | None

    @classmethod
    def of(cls, order: ReinforcementOrder) -> "OrderView":
        return cls(
            order_id=order.order_id,
            region=Region(order.region),
            donors=order.donor_quota(),
            until=utc(order.until),
            ordered_by=order.ordered_by,
            ended_at=utc(order.ended_at) if order.ended_at else None,
            end_reason=order.end_reason,
        )


def _refusal(exc: QueueError) -> HTTPException:
    code = status.HTTP_409_CONFLICT
    if isinstance(exc, NotFound):
        code = status.HTTP_404_NOT_FOUND
    elif isinstance(exc, Forbidden):
        code = status.HTTP_403_FORBIDDEN
    return HTTPException(code, str(exc))


def build_router(
    contacts: Contacts,
    operators: Operators,
    reinforcements: Reinforcements,
    now: Callable[[], datetime],
    ui: Any,
    supervisor: Any,
    adapter: Any,
    live_interval: float,
) -> APIRouter:
    router = APIRouter()

    def current_operator(credentials: Credentials) -> Operator:
        operator = operators.by_token(credentials.credentials) if credentials else None
        if operator is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "unknown or logged-out operator",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return operator

    Me = Annotated[Operator, Depends(current_operator)]  # noqa: N806 - a type alias

    def view(operator: Operator) -> OperatorView:
        return OperatorView(
            operator_id=operator.operator_id,
            region=Region(operator.region),
            status=operator.status,
            skills=operator.skill_set(),
            lent_to_order=operator.lent_order_id,
        )

    @router.post("/operators/login", dependencies=[ui], tags=["operators"])
    def log_in(body: LoginRequest) -> LoginResponse:
        """Logs an operator in (from an operator UI holding a UI token); returns their token."""
        token = secrets.token_urlsafe(24)
        operators.log_in(body.operator_id, body.region, body.skills, token, now())
        return LoginResponse(operator_id=body.operator_id, region=body.region, token=token)

    @router.get("/operators/me", tags=["operators"])
    def me(operator: Me) -> OperatorView:
        return view(operator)

    @router.post("/operators/me/pause", tags=["operators"])
    def pause(body: PauseRequest, operator: Me) -> OperatorView:
        try:
            return view(operators.pause(operator.operator_id, body.reason, now()))
        except QueueError as exc:
            raise _refusal(exc) from None

    @router.post("/operators/me/resume", tags=["operators"])
    def resume(operator: Me) -> OperatorView:
        try:
            return view(operators.resume(operator.operator_id, now()))
        except QueueError as exc:
            raise _refusal(exc) from None

    @router.post("/operators/me/logout", tags=["operators"])
    def log_out(operator: Me) -> OperatorView:
        return view(operators.log_out(operator.operator_id, now()))

    @router.post(
        "/operators/me/next",
        tags=["operators"],
        responses={204: {"description": "nothing is waiting"}},
    )
    def take_next(operator: Me, response: Response) -> AssignedContact | None:
        try:
            entry = contacts.take_next(operator.operator_id, now())
        except QueueError as exc:
            raise _refusal(exc) from None
        if entry is None:
            response.status_code = status.HTTP_204_NO_CONTENT
            return None
        return AssignedContact(
            contact_id=entry.contact_id,
            region=Region(entry.region),
            queue=entry.queue,
            category=entry.category,
            priority=entry.priority,
            received_at=entry.received_at,
            reinforcement_order=entry.order_id,
        )

    @router.post("/contacts/{contact_id}/answer", tags=["operators"])
    def answer(contact_id: uuid.UUID, operator: Me) -> Answered:
        try:
            return contacts.answer(operator, contact_id, now())
        except QueueError as exc:
            raise _refusal(exc) from None

    @router.post("/contacts/{contact_id}/outcome", tags=["operators"])
    def outcome(contact_id: uuid.UUID, body: OutcomeRequest, operator: Me) -> ContactResolved:
        try:
            return contacts.resolve(operator, contact_id, body.outcome, now())
        except QueueError as exc:
            raise _refusal(exc) from None

    @router.post("/contacts/{contact_id}/abandon", dependencies=[adapter], tags=["adapters"])
    def abandon(contact_id: uuid.UUID, body: AbandonRequest) -> Abandoned:
        """A channel adapter reports that the caller hung up before an answer."""
        try:
            return contacts.abandon(contact_id, now(), body.reason)
        except QueueError as exc:
            raise _refusal(exc) from None

    @router.post(
        "/reinforcements",
        dependencies=[supervisor],
        tags=["supervisors"],
        status_code=status.HTTP_201_CREATED,
    )
    def order(body: OrderRequest, credentials: Credentials) -> OrderView:
        try:
            created = reinforcements.order(
                body.region, tuple(body.donors), body.until, "supervisor", now()
            )
        except QueueError as exc:
            raise _refusal(exc) from None
        return OrderView.of(created)

    @router.get("/reinforcements", tags=["supervisors"])
    def active_orders() -> list[OrderView]:
        return [OrderView.of(o) for o in reinforcements.active(now())]

    @router.delete("/reinforcements/{order_id}", dependencies=[supervisor], tags=["supervisors"])
    def end_order(order_id: uuid.UUID) -> dict[str, str]:
        try:
            reinforcements.end(order_id, "supervisor", "ended_early", now())
        except QueueError as exc:
            raise _refusal(exc) from None
        return {"order_id": str(order_id), "status": "ended"}

    @router.get("/audit", dependencies=[supervisor], tags=["supervisors"])
    def audit(limit: int = 200) -> list[AuditRecord]:
        records = reinforcements.db.audit_log(min(max(limit, 1), 1000))
        for record in records:  # detached copies: SQLite hands times back without their zone
            record.at = utc(record.at)
        return records

    @router.get("/queues", tags=["live"])
    def all_queues() -> list[dict[str, object]]:
        return [contacts.state(region, now()) for region in Region]

    @router.get("/queues/{region}", tags=["live"])
    def queue_state(region: Region) -> dict[str, object]:
        return contacts.state(region, now())

    @router.get(
        "/queues/{region}/stream",
        tags=["live"],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def stream(region: Region, request: Request) -> StreamingResponse:
        """Server-sent events: the region's queue state whenever it changes (and a heartbeat)."""

        async def events() -> AsyncIterator[str]:
            last, quiet = "", 0.0
            while not await request.is_disconnected():
                state = await asyncio.to_thread(contacts.state, region, now())
                body = json.dumps({k: v for k, v in state.items() if k != "at"})
                if body != last or quiet >= 15:
                    last, quiet = body, 0.0
                    yield f"event: queue\ndata: {json.dumps(state)}\n\n"
                await asyncio.sleep(live_interval)
                quiet += live_interval

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    return router
