"""Waits for anyone and a contact's place for its adapter (services/queueing/waits.py)."""

import uuid

from fastapi import APIRouter, Response

from services.queueing.dependencies import ADAPTER, Core, Now
from services.queueing.waits import Place, QueueWait

router = APIRouter()


@router.get("/queues/wait", tags=["public"])
def queue_waits(core: Core, now: Now, response: Response) -> list[QueueWait]:
    """Per region, queue and channel: how many wait and the estimated wait for a contact
    arriving now (None: nobody serves the queue now), whether it is open and when it opens
    next, and the written channels' service target. No token and no personal data: what
    polisen.se may show. Read at most every few seconds (PKC_QUEUEING_WAIT_CACHE_SECONDS)."""
    waits = core.waits.public(now)
    response.headers["Cache-Control"] = f"public, max-age={int(core.waits.cache_seconds)}"
    return waits


@router.get(
    "/contacts/{contact_id}/place",
    dependencies=[ADAPTER],
    tags=["adapters"],
    responses={404: {"description": "no such contact"}},
)
def place(contact_id: uuid.UUID, core: Core, now: Now) -> Place:
    """A contact's status and, while it waits, its position in its queue (1: next) and its
    estimated wait; a written contact waiting for its queue to open gets the opening instead,
    and its due time (received + the written channels' service target)."""
    return core.waits.place(contact_id, now)
