"""The adapters' routes for what became of their contacts (docs/adapters.md): a contact's status,
and the callback URL its changes are delivered to."""

import asyncio
from uuid import UUID

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from schemas.contact_status import ContactStatus
from services.intake.api import Adapter, IntakeService
from services.intake.places import asks_for_place, with_place
from services.intake.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER
from services.shared.http import Credentials

NOT_FOUND = "no such contact"  # the same for an unknown contact and for another adapter's
router = APIRouter(tags=["adapters"])


class CallbackRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="where each status change of this adapter's contacts goes")


class CallbackRegistered(BaseModel):
    url: str
    secret: str = Field(description="the HMAC-SHA256 key of the signatures: shown only now")
    signature_header: str = SIGNATURE_HEADER
    idempotency_header: str = IDEMPOTENCY_HEADER


@router.get(
    "/contacts/{contact_id}",
    responses={404: {"description": "no contact of this adapter has this id"}},
)
async def contact_status(
    contact_id: UUID, intake: IntakeService, adapter: Adapter, credentials: Credentials
) -> ContactStatus:
    """What became of a contact this adapter posted: its stage, need category, e-service link,
    case number, and what to tell the citizen; while queued, its position and estimated wait
    (asked of queueing with the adapter's own token; null when queueing gives none within
    PKC_INTAKE_PLACE_DEADLINE_SECONDS). Another adapter's contact is not found."""
    found = await asyncio.to_thread(intake.statuses.get, contact_id, adapter.name)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    if asks_for_place(found) and credentials is not None:
        found = with_place(found, await intake.places.of(contact_id, credentials.credentials))
    return found


@router.put("/adapters/callback")
async def register_callback(
    registration: CallbackRegistration, intake: IntakeService, adapter: Adapter
) -> CallbackRegistered:
    """Sets (or moves) this adapter's callback URL; every later status change of its contacts
    is POSTed there, signed with the secret in this answer (a new one on every PUT)."""
    url = str(registration.url)
    secret = await asyncio.to_thread(
        intake.callbacks.register, adapter.name, url, intake.clock.now()
    )
    return CallbackRegistered(url=url, secret=secret)


@router.delete(
    "/adapters/callback",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "no callback was registered"}},
)
async def remove_callback(intake: IntakeService, adapter: Adapter) -> Response:
    """Stops the callbacks: changes still pending are given up (recorded as refused)."""
    if not await asyncio.to_thread(intake.callbacks.unregister, adapter.name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no callback registered")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
