"""Intake's HTTP routes: thin; the rules are in handlers and domain, errors mapped once here."""

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.applications import Starlette

from services.intake.bootstrap import Intake
from services.intake.domain import (
    BrokerUnavailable,
    ContactSubmission,
    IdempotencyKeyReused,
    IntakeError,
    ReceivedOutsideWindow,
)
from services.intake.handlers import accept
from services.shared.erasure import ERASE_PATH, Auditor, Erased
from services.shared.hot_route import HotRoute
from services.shared.http import caller
from services.shared.identity import Principal, Role


class ContactAccepted(BaseModel):
    contact_id: UUID
    duplicate: bool


# Async though they do no I/O: FastAPI runs a plain `def` dependency in its thread pool, two
# hops per contact on intake's hottest path.
async def _intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


IntakeService = Annotated[Intake, Depends(_intake)]


Adapter = Annotated[Principal, caller(Role.ADAPTER)]  # a channel adapter's service account
router = APIRouter()


@router.post(
    "/contacts",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"description": "a retry of an accepted contact", "model": ContactAccepted},
        409: {"description": "the idempotency key was used for other content"},
        422: {"description": "invalid body, or received_at outside the skew window"},
        503: {"description": "the broker did not confirm in time; retry after Retry-After"},
    },
)
async def submit_contact(
    submission: ContactSubmission, request: Request, response: Response, adapter: Adapter
) -> ContactAccepted:
    """Accepts one contact; 202 once ContactReceived is durably in Kafka (acks=all), 503 with
    Retry-After when the broker does not confirm within the deadline."""
    # Most submissions never reach this function: `hot_contacts` answers the plain ones
    # through `submitted` too (services/shared/hot_route.py). Whatever is added here beyond
    # the body and the adapter's role, HotRoute refuses to start until it honours it too.
    response.status_code, accepted = await submitted(request.app, submission, adapter)
    return accepted


async def submitted(
    app: Starlette, submission: ContactSubmission, adapter: Principal
) -> tuple[int, ContactAccepted]:
    """POST /contacts's status and answer for a submission from a verified adapter."""
    intake: Intake = app.state.intake
    accepted = await accept(intake, submission, adapter.subject, adapter.name)
    code = status.HTTP_200_OK if accepted.duplicate else status.HTTP_202_ACCEPTED
    return code, ContactAccepted(contact_id=accepted.contact_id, duplicate=accepted.duplicate)


def hot_contacts(app: FastAPI) -> None:
    """POST /contacts, intake's busiest route, answered by a `HotRoute` when plain. Before
    `harden`: its body limit and server span must wrap the fast path too."""
    if app.user_middleware:
        raise RuntimeError("hot_contacts goes before harden: its middleware must wrap it")
    (route,) = [r for r in router.routes if isinstance(r, APIRoute) and r.path == "/contacts"]
    app.add_middleware(HotRoute, route=route, body=ContactSubmission, answer=submitted)


@router.post(ERASE_PATH, tags=["auditors"])
async def erase(contact_id: UUID, intake: IntakeService, auditor: Auditor) -> Erased:
    """Removes what intake keeps of the contact (its keys' fingerprints) and records who erased
    it (docs/retention.md)."""
    now = intake.clock.now()
    keys = await asyncio.to_thread(
        intake.accepted.erase, contact_id, auditor.name, auditor.subject, now
    )
    return Erased(
        service="intake", contact_id=contact_id, erased_by=auditor.name, removed={"keys": keys}
    )


_STATUS: dict[type[Exception], int] = {
    ReceivedOutsideWindow: status.HTTP_422_UNPROCESSABLE_CONTENT,
    IdempotencyKeyReused: status.HTTP_409_CONFLICT,
    BrokerUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


async def _refused(_: Request, exc: Exception) -> JSONResponse:
    code = _STATUS.get(type(exc), status.HTTP_400_BAD_REQUEST)
    headers = None
    if isinstance(exc, BrokerUnavailable):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)


def map_errors(app: FastAPI) -> None:
    """Intake's domain errors as HTTP statuses, in one place."""
    app.add_exception_handler(IntakeError, _refused)
