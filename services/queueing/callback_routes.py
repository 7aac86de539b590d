"""Callbacks (virtual hold, services/queueing/callbacks.py): the adapter asks for one, the
operator holding it reads the number and reports a call nobody answered."""

import uuid

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from schemas import CallbackAttempted, CallbackRequested
from services.queueing.callbacks import CallbackTask
from services.queueing.dependencies import ADAPTER, Core, CurrentOperator, Now

router = APIRouter(prefix="/contacts")


class CallbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(
        min_length=6, max_length=24, description="where to call back; kept until done"
    )


@router.post(
    "/{contact_id}/callback",
    dependencies=[ADAPTER],
    tags=["adapters"],
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"description": "no such contact"},
        409: {"description": "not a waiting call (answered already, ended, written)"},
    },
)
def request_callback(
    contact_id: uuid.UUID, body: CallbackRequest, core: Core, now: Now
) -> CallbackRequested:
    """The caller of a waiting call asks to be called back instead of holding: the contact
    keeps its place and is never timed out; the adapter may let the caller hang up (and does
    not report it as a hang-up). The same request again gets the first answer."""
    return core.callbacks.request(contact_id, body.number, now)


@router.get("/{contact_id}/callback", tags=["operators"])
def callback_task(
    contact_id: uuid.UUID, operator: CurrentOperator, core: Core, now: Now
) -> CallbackTask:
    """The number to call back, for the operator holding the contact (audited)."""
    return core.callbacks.task(operator, contact_id, now)


@router.post("/{contact_id}/callback/no-answer", tags=["operators"])
def callback_not_answered(
    contact_id: uuid.UUID, operator: CurrentOperator, core: Core, now: Now
) -> CallbackAttempted:
    """The operator called back and nobody answered: the contact goes back to its place for a
    later try, or after the last try is abandoned (`callback_unanswered`). Reached: answer it
    with POST /contacts/{id}/answer as any call."""
    return core.callbacks.no_answer(operator, contact_id, now)
