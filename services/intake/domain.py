"""What a channel adapter submits, and how it becomes a ContactReceived.

Ids are derived from the adapter's idempotency key, so a retried submission yields the very same
contact_id and event_id even if intake crashed between publishing and recording the key.
"""

import hashlib
import uuid
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from schemas import Channel, ContactReceived, Region
from schemas.envelope import in_utc
from schemas.events import MAX_TEXT_CHARS

_NAMESPACE = uuid.UUID("6f1d7c52-3a0e-4c59-9a55-0d7b6c1e5a21")


class ContactSubmission(BaseModel):
    """The body of POST /contacts."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    idempotency_key: str = Field(min_length=1, max_length=128, pattern=r"^[\w.:\-]+$")
    source: str = Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")
    region: Region
    channel: Channel
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    received_at: AwareDatetime | None = Field(
        default=None, description="when the contact reached the adapter; defaults to now"
    )

    @field_validator("received_at", mode="after")
    @classmethod
    def _sane(cls, value: datetime | None) -> datetime | None:
        return None if value is None else in_utc(value)

    def fingerprint(self) -> str:
        """Identifies the content, so a reused key with other content is caught (409)."""
        material = f"{self.region}|{self.channel}|{self.text}".encode()
        return hashlib.sha256(material).hexdigest()


def outside_window(submission: ContactSubmission, now: datetime, skew: timedelta) -> bool:
    """An adapter's clock may disagree a little with the platform's, either way, and a request
    takes a while; a received_at further off is a broken (or gaming) adapter: in the future it
    would claim a wait that has not begun, in the past one that the citizen never had."""
    received_at = submission.received_at
    return received_at is not None and abs(received_at - now) > skew


def contact_id_for(adapter: str, source: str, idempotency_key: str) -> uuid.UUID:
    """The contact's id: one adapter's keys never meet another's, whatever `source` it names."""
    return uuid.uuid5(_NAMESPACE, f"{adapter}\x00{source}\x00{idempotency_key}")


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
