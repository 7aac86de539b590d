"""Intake's HTTP routes: thin; the rules are in handlers and domain, errors mapped once here."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.intake.bootstrap import Intake
from services.intake.domain import (
    ContactSubmission,
    IdempotencyKeyReused,
    IntakeError,
    ReceivedInTheFuture,
)
from services.intake.handlers import accept
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
        422: {"description": "invalid body, or received_at in the future"},
    },
)
async def submit_contact(
    submission: ContactSubmission, response: Response, intake: IntakeService, adapter: Adapter
) -> ContactAccepted:
    """Accepts one contact; 202 once ContactReceived is durably in Kafka (acks=all)."""
    accepted = await accept(intake, submission, adapter.subject)
    if accepted.duplicate:
        response.status_code = status.HTTP_200_OK
    return ContactAccepted(contact_id=accepted.contact_id, duplicate=accepted.duplicate)


_STATUS: dict[type[Exception], int] = {
    ReceivedInTheFuture: status.HTTP_422_UNPROCESSABLE_CONTENT,
    IdempotencyKeyReused: status.HTTP_409_CONFLICT,
}


async def _refused(_: Request, exc: Exception) -> JSONResponse:
    code = _STATUS.get(type(exc), status.HTTP_400_BAD_REQUEST)
    return JSONResponse({"detail": str(exc)}, status_code=code)


def map_errors(app: FastAPI) -> None:
    """Intake's domain errors as HTTP statuses, in one place."""
    app.add_exception_handler(IntakeError, _refused)
