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

MAX_AHEAD = timedelta(minutes=5)
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


def ahead_of(submission: ContactSubmission, now: datetime) -> bool:
    """An adapter's clock may run a little fast, not a contact received in the future: it would
    rank last in its queue for good."""
    return submission.received_at is not None and submission.received_at > now + MAX_AHEAD


def contact_id_for(adapter: str, source: str, idempotency_key: str) -> uuid.UUID:
    """The contact's id: one adapter's keys never meet another's, whatever `source` it names."""
    return uuid.uuid5(_NAMESPACE, f"{adapter}\x00{source}\x00{idempotency_key}")


def to_event(submission: ContactSubmission, adapter: str, now: datetime) -> ContactReceived:
    contact_id = contact_id_for(adapter, submission.source, submission.idempotency_key)
    return ContactReceived(
        event_id=uuid.uuid5(contact_id, ContactReceived.EVENT_TYPE),
        occurred_at=submission.received_at or now,
        contact_id=contact_id,
        region=submission.region,
        channel=submission.channel,
        source=submission.source,
        text=submission.text,
    )


class IntakeError(Exception):
    """A submission intake refuses; the message names the field, never its content."""


class ReceivedInTheFuture(IntakeError):
    def __init__(self) -> None:
        super().__init__(f"received_at is more than {MAX_AHEAD} ahead of the platform's clock")


class IdempotencyKeyReused(IntakeError):
    def __init__(self) -> None:
        super().__init__("idempotency_key already used for a different contact")
