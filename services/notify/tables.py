"""Notify's tables: alerts (one per episode and kind), the deliveries still to make (an outbox
that survives restarts), the alert log, and the schedule as edited through the API."""

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


class Alert(SQLModel, table=True):
    """One alert per region, episode and kind (breach, predicted, reinforcement, recovery), or
    per written contact in doubt (written)."""

    __tablename__ = "notify_alert"

    alert_id: uuid.UUID = Field(primary_key=True)
    region: str = Field(max_length=20, index=True)
    episode_id: uuid.UUID | None = Field(default=None, index=True)
    kind: str = Field(max_length=16)
    level: int = 1  # the highest level alerted so far
    share: float | None = None  # the share last reported (for worsening updates)
    created_at: datetime = Field(sa_column=_ts())
    escalate_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    acknowledged_by: str | None = Field(default=None, max_length=64)
    # A held breach's reinforcement request (the event as JSON), sent when the breach is.
    held_request: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # A written emergency's facts (JSON, no citizen text), which its escalation repeats. Added
    # in the triage-safety release: `ALTER TABLE notify_alert ADD COLUMN facts TEXT` on a
    # database made before it.
    facts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Delivery(SQLModel, table=True):
    """One message to one address; pending until the receiver took it (2xx, 250) or we gave up."""

    __tablename__ = "notify_delivery"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: uuid.UUID = Field(index=True)
    key: str = Field(max_length=200, unique=True)  # makes planning a delivery idempotent
    region: str = Field(max_length=20)
    level: int
    transport: str = Field(max_length=16)
    recipient: str = Field(max_length=64)  # on-call person id, never a citizen
    address: str = Field(max_length=300)
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))  # JSON for webhooks
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_at: datetime = Field(sa_column=_ts())
    detail: str = Field(default="", max_length=200)


class AlertLog(SQLModel, table=True):
    """Every delivery, failure, escalation and acknowledgement, and each alert an event too old
    to send would have sent, in order."""

    __tablename__ = "notify_alert_log"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: uuid.UUID = Field(index=True)
    region: str = Field(max_length=20)
    kind: str = Field(max_length=16)
    # delivered, failed, escalated, acknowledged, or skipped_stale (services/notify/freshness.py)
    action: str = Field(max_length=16)
    level: int = 1
    transport: str = Field(default="", max_length=16)
    recipient: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=200)
    at: datetime = Field(sa_column=_ts())
    # Who acknowledged (added in the identity release, see docs/security.md): the person's
    # user name and token subject through the API, or the recipient a signed link names.
    person: str = Field(default="", max_length=64)
    subject: str = Field(default="", max_length=255)
    via: str = Field(default="", max_length=8)  # api or link


class ScheduleText(SQLModel, table=True):
    __tablename__ = "notify_schedule"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    saved_at: datetime = Field(sa_column=_ts())
    # Who saved this version (added in the identity release): None for the seed from the file.
    saved_by: str | None = Field(default=None, max_length=64)
    saved_by_subject: str | None = Field(default=None, max_length=255)


class EventRecord(SQLModel, table=True):
    """An event notify publishes (delivered, escalated, acknowledged), written in the same
    transaction as the change it reports, and deleted once the broker has it: a crash between
    the commit and the publish loses nothing, and an acknowledgement that changed nothing
    writes none. Added in the never-lose release (a new table: created on start)."""

    __tablename__ = "notify_outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_json: str = Field(sa_column=Column(Text, nullable=False))
    traceparent: str | None = Field(default=None, max_length=64)
    # A relay publishing it holds it until then; after a crash another takes it over.
    claimed_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
