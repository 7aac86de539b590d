"""Accepting one submission: claim its idempotency key, publish it, record the publication.

The key is claimed before the event is published (of two racing contents only one wins) and
marked published after Kafka has it (a retry of an unpublished claim publishes it). The table is
reached through blocking SQLAlchemy calls, so they run in a worker thread, never on the loop.
"""

import asyncio
from dataclasses import dataclass
from uuid import UUID

from opentelemetry import trace

from services.intake.bootstrap import Intake
from services.intake.domain import (
    ContactSubmission,
    IdempotencyKeyReused,
    ReceivedInTheFuture,
    ahead_of,
    to_event,
)
from services.intake.store import AcceptedContact


@dataclass(frozen=True)
class Acceptance:
    contact_id: UUID
    duplicate: bool  # a retry of a contact already in Kafka


async def accept(intake: Intake, submission: ContactSubmission, adapter: str) -> Acceptance:
    """Accepts a submission from `adapter` (its service account's subject): idempotency keys
    are the adapter's own, so no adapter can claim or learn of another's contact."""
    now, fingerprint = intake.clock.now(), submission.fingerprint()
    if ahead_of(submission, now):
        raise ReceivedInTheFuture
    event = to_event(submission, adapter, now)
    row = AcceptedContact(
        key=str(event.contact_id),  # derived from the adapter, its source and its key
        contact_id=event.contact_id,
        fingerprint=fingerprint,
        accepted_at=now,
    )
    claim = await asyncio.to_thread(intake.accepted.claim, row)
    if claim.fingerprint != fingerprint:
        raise IdempotencyKeyReused
    if claim.published:
        return Acceptance(claim.contact_id, duplicate=True)
    trace.get_current_span().set_attribute("pkc.contact_id", str(event.contact_id))
    await intake.producer.publish(event)  # a retry of a claim never published lands here too
    await asyncio.to_thread(intake.accepted.mark_published, claim.key)
    return Acceptance(event.contact_id, duplicate=False)
