"""Accepting one submission: claim its idempotency key, publish it, record the publication.

The key is claimed before the event is published (of two racing contents only one wins) and
marked published after Kafka has it (a retry of an unpublished claim publishes it). The table is
reached through blocking SQLAlchemy calls, so they run in a worker thread, never on the loop,
and concurrent posts' claims share a transaction (services/shared/group_commit.py).
"""

import asyncio
import os
from dataclasses import dataclass
from uuid import UUID

from opentelemetry import trace

from services.intake.bootstrap import Intake
from services.intake.domain import (
    ContactSubmission,
    IdempotencyKeyReused,
    ReceivedOutsideWindow,
    outside_window,
    to_event,
)
from services.intake.store import HeldKey

CRASHED = 137  # the exit code of the crash-after-claim test hook, as after a kill -9


@dataclass(frozen=True)
class Acceptance:
    contact_id: UUID
    duplicate: bool  # a retry of a contact already in Kafka


async def accept(
    intake: Intake, submission: ContactSubmission, adapter: str, owner: str
) -> Acceptance:
    """Accepts a submission from `adapter` (its service account's subject): idempotency keys
    are the adapter's own, so no adapter can claim or learn of another's contact. `owner` (its
    client id) owns the contact's status (docs/adapters.md)."""
    now, fingerprint = intake.clock.now(), submission.fingerprint()
    event = to_event(submission, adapter, now)
    # The window is for new contacts: an adapter retrying one accepted long ago (its answer
    # lost, intake or the broker down meanwhile) gets the first answer, not a refusal.
    if outside_window(submission, now, intake.received_at_skew) and not await asyncio.to_thread(
        intake.accepted.holds, str(event.contact_id), fingerprint
    ):
        raise ReceivedOutsideWindow(intake.received_at_skew)
    row = HeldKey(
        key=str(event.contact_id),  # derived from the adapter, its source and its key
        contact_id=event.contact_id,
        fingerprint=fingerprint,
        accepted_at=now,
    )
    # Opened with the claim, before publishing: triage's answer, which may come within
    # milliseconds, finds the status; a rating is checked against the origin (ratings.py).
    opened = (
        intake.statuses.opening(event.contact_id, owner, event.region, event.channel, now),
        intake.ratings.origin_of(event, adapter),
    )
    claim = await intake.claims((row, opened))  # with concurrent posts' in one transaction
    if intake.settings.fault == "crash-after-claim":
        os._exit(CRASHED)  # the test hook (docs/services/intake.md): claimed, never published
    if claim.fingerprint != fingerprint:
        raise IdempotencyKeyReused
    if claim.published:
        return Acceptance(claim.contact_id, duplicate=True)
    trace.get_current_span().set_attribute("pkc.contact_id", str(event.contact_id))
    # A retry of a claim never published lands here too: it publishes the event (or waits on
    # the send still under way from the earlier attempt), with the ids of the first attempt.
    await intake.publications.publish(claim.key, event)
    return Acceptance(event.contact_id, duplicate=False)
