"""Intake's tables for the adapters' side of a contact: its status, the events already applied,
each adapter's callback, and the callback outbox (docs/adapters.md).

No citizen text anywhere: a status holds the platform's decisions (category, route, e-service,
case number, reason) and whose contact it is (the adapter's client id). Rows are kept
`PKC_INTAKE_STATUS_RETENTION_DAYS`, then purged."""

import uuid
from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


class ContactStatusRow(SQLModel, table=True):
    __tablename__ = "intake_contact_status"

    contact_id: uuid.UUID = Field(primary_key=True)
    owner: str = Field(max_length=255, index=True)  # the adapter's client id
    region: str = Field(max_length=32)
    channel: str = Field(max_length=32)
    stage: str = Field(default="received", max_length=16)
    category: str | None = Field(default=None, max_length=32)
    matter: str | None = Field(default=None, max_length=64)
    route: str | None = Field(default=None, max_length=32)
    e_service: str | None = Field(default=None, max_length=64)
    case_number: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=64)
    # Added in the citizen-loop release (ALTER TABLE in docs/operations.md): rows from
    # before it have none, as if the queue had not said.
    opens_at: datetime | None = None
    sequence: int = 1  # changes so far; the callbacks' order and idempotency key
    opened_at: datetime
    changed_at: datetime = Field(index=True)


class AppliedEvent(SQLModel, table=True):
    """An event already applied to a status: a redelivered one is skipped (dedupe on
    event_id), whatever it would change."""

    __tablename__ = "intake_status_event"

    event_id: uuid.UUID = Field(primary_key=True)
    applied_at: datetime = Field(index=True)


class AdapterCallback(SQLModel, table=True):
    """Where an adapter wants its contacts' status changes, and the secret they are signed with
    (a shared secret: kept, since intake signs with it)."""

    __tablename__ = "intake_adapter_callback"

    owner: str = Field(primary_key=True, max_length=255)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=128)
    registered_at: datetime


class CallbackDelivery(SQLModel, table=True):
    """One status change to deliver to its adapter: written in the transaction that made the
    change, claimed for a lease by a sender, settled per attempt."""

    __tablename__ = "intake_callback_delivery"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=100)  # the Idempotency-Key: contact:sequence
    owner: str = Field(max_length=255, index=True)
    contact_id: uuid.UUID = Field(index=True)
    body: str  # the ContactStatus JSON, as signed and sent
    status: str = Field(default="pending", max_length=16, index=True)  # delivered, refused
    attempts: int = 0
    next_at: datetime = Field(index=True)
    detail: str = Field(default="", max_length=200)
    created_at: datetime
    settled_at: datetime | None = None


def aware(value: datetime) -> datetime:
    """SQLite gives back naive times: they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
