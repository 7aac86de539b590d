"""What a channel adapter submits, and how it becomes a ContactReceived.

Ids are derived from the adapter's idempotency key, so a retried submission yields the very same
contact_id and event_id even if intake crashed between publishing and recording the key.
"""

import uuid
from datetime import datetime, timedelta

from schemas import ContactReceived

# The submission and the id it yields are a contract shared with the adapter library
# (schemas/submissions.py); named here too, where intake's rules read them.
from schemas.submissions import ContactSubmission as ContactSubmission
from schemas.submissions import contact_id_for as contact_id_for


def outside_window(submission: ContactSubmission, now: datetime, skew: timedelta) -> bool:
    """An adapter's clock may disagree a little with the platform's, either way, and a request
    takes a while; a received_at further off is a broken (or gaming) adapter: in the future it
    would claim a wait that has not begun, in the past one that the citizen never had."""
    received_at = submission.received_at
    return received_at is not None and abs(received_at - now) > skew


def arrival(now: datetime, appended_ms: int | None, real_now: float, speed: float) -> datetime:
    """When a submission reached Kafka, on the platform's clock (`now`): the broker's append
    time (real epoch milliseconds; None: unknown, then `now`), `real_now` the real epoch
    seconds of `now`. A submission is judged by when it arrived, not by when intake read it:
    intake behind or down for a while refuses nothing that came on time; the broker stamps
    the time, so no adapter can set it."""
    if appended_ms is None:
        return now
    behind = max(0.0, real_now - appended_ms / 1000)
    return now - timedelta(seconds=behind * speed)


def to_event(submission: ContactSubmission, adapter: str, now: datetime) -> ContactReceived:
    contact_id = contact_id_for(adapter, submission.source, submission.idempotency_key)
    return ContactReceived(
        event_id=uuid.uuid5(contact_id, ContactReceived.EVENT_TYPE),
        occurred_at=submission.received_at or now,
        accepted_at=now,  # the queue ranks by intake's clock, which no adapter can set
        contact_id=contact_id,
        region=submission.region,
        channel=submission.channel,
        source=submission.source,
        text=submission.text,
    )


class IntakeError(Exception):
    """A submission intake refuses; the message names the field, never its content."""


class ReceivedOutsideWindow(IntakeError):
    def __init__(self, skew: timedelta) -> None:
        minutes = f"{skew.total_seconds() / 60:g}"
        super().__init__(f"received_at must lie within {minutes} minutes of the platform's clock")


class BrokerUnavailable(IntakeError):
    """The contact is claimed but not yet in Kafka: the adapter retries with the same key."""

    def __init__(self, deadline_seconds: float, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(
            f"the event broker did not confirm the contact within {deadline_seconds:g} s; "
            "retry with the same idempotency_key"
        )


class IdempotencyKeyReused(IntakeError):
    def __init__(self) -> None:
        super().__init__("idempotency_key already used for a different contact")
