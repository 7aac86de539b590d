"""What a channel adapter submits to intake, by HTTP (`POST /contacts`) or straight to its own
Kafka topic (`pkc.contacts.submitted.<client>`, docs/adapters.md), and the contact id intake
derives from it. A contract like the events: the adapter library (pkc/adapter_kafka.py), intake
and the JSON Schema (schemas/json/ContactSubmission.v1.json) share this one model.

The adapters' service accounts are named here (not in pkc, which schemas may not import): the
topic registry gives each its own submission topic, and its Kafka principal the same name.
"""

import hashlib
import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from schemas.enums import Channel, Region
from schemas.envelope import in_utc
from schemas.events import MAX_TEXT_CHARS

__all__ = [
    "ADAPTER_CLIENTS",
    "ContactSubmission",
    "adapter_client",
    "contact_id_for",
    "kafka_adapter",
]

_NAMESPACE = uuid.UUID("6f1d7c52-3a0e-4c59-9a55-0d7b6c1e5a21")


def adapter_client(channel: Channel) -> str:
    """The service account of a channel's adapter (the realm's clients: adapter-e-service),
    which is also its Kafka principal."""
    return "adapter-" + channel.value.replace("_", "-")


ADAPTER_CLIENTS: tuple[str, ...] = tuple(adapter_client(channel) for channel in Channel)


class ContactSubmission(BaseModel):
    """The body of POST /contacts, and the value of a record on an adapter's submission topic."""

    SUBMISSION_TYPE: ClassVar[str] = "ContactSubmission"
    SCHEMA_VERSION: ClassVar[int] = 1

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


def contact_id_for(adapter: str, source: str, idempotency_key: str) -> uuid.UUID:
    """The contact's id: one adapter's keys never meet another's, whatever `source` it names."""
    return uuid.uuid5(_NAMESPACE, f"{adapter}\x00{source}\x00{idempotency_key}")


def kafka_adapter(client: str) -> str:
    """Who submitted a contact through Kafka, as intake's tables name the adapter: the topic's
    client id, prefixed so that its keys never meet the ones it posts by HTTP (those are its
    token's subject). A key is one adapter's on one way in: switching ways mid-retry makes a
    second contact."""
    return f"kafka:{client}"
