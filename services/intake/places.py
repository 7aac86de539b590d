"""A queued contact's place for its adapter's status: its position and estimated wait, read
live from queueing (`GET /contacts/{id}/place`, services/queueing/waits.py) with the adapter's
own token, within a short deadline. Queueing owns the queues, so intake asks it rather than
keeping a copy that every take would make stale.

The place is extra: when queueing is not configured, not reachable within the deadline, or
answers anything but a waiting contact's place, the status still answers, with `position` and
`estimated_wait_seconds` null (docs/adapters.md). Logs name the failure's kind, never the
contact's text nor the token.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.contact_status import ContactStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    position: int | None = None  # 1: next
    estimated_wait_seconds: float | None = None  # None: no estimate (nobody serves the queue)


UNKNOWN = Place()


class _QueueingPlace(BaseModel):
    """What intake reads of queueing's answer (its other fields are queueing's business)."""

    model_config = ConfigDict(extra="ignore")

    status: str
    position: int | None = Field(default=None, ge=1)
    estimated_wait_seconds: float | None = Field(default=None, ge=0)


def place_from(body: object) -> Place:
    """The place in queueing's answer: a waiting contact's position and estimate; nothing for
    a contact no longer waiting (an operator holds it) or an answer that is not a place."""
    try:
        answer = _QueueingPlace.model_validate(body)
    except ValidationError:
        return UNKNOWN
    if answer.status != "waiting" or answer.position is None:
        return UNKNOWN
    return Place(answer.position, answer.estimated_wait_seconds)


def asks_for_place(status: ContactStatus) -> bool:
    """Only a queued contact has a place; any other stage answers without asking queueing."""
    return status.stage == "queued"


def with_place(status: ContactStatus, place: Place) -> ContactStatus:
    return status.model_copy(
        update={
            "position": place.position,
            "estimated_wait_seconds": place.estimated_wait_seconds,
        }
    )


class QueuePlaces:
    """Asks queueing for a contact's place; `base_url` None: never (no place is shown)."""

    def __init__(self, base_url: str | None, client: httpx.AsyncClient, deadline: float):
        self.base_url = base_url.rstrip("/") if base_url else None
        self.client, self.deadline = client, deadline

    async def of(self, contact_id: uuid.UUID, token: str) -> Place:
        if self.base_url is None:
            return UNKNOWN
        url = f"{self.base_url}/contacts/{contact_id}/place"
        try:
            async with asyncio.timeout(self.deadline):
                response = await self.client.get(
                    url, headers={"Authorization": f"Bearer {token}"}, timeout=self.deadline
                )
        except (TimeoutError, httpx.HTTPError) as exc:
            log.warning("queueing gave no place in time: %s", type(exc).__name__)
            return UNKNOWN
        if response.status_code != httpx.codes.OK:
            log.warning("queueing refused a place: HTTP %d", response.status_code)
            return UNKNOWN
        try:
            body = response.json()
        except ValueError:
            log.warning("queueing answered a place that is not JSON")
            return UNKNOWN
        return place_from(body)
