"""Queueing's own tables. Times are stored as UTC."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


def utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ts(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


class QueueEntry(SQLModel, table=True):
    __tablename__ = "queueing_entry"
    __table_args__ = (
        # Take-next's two orders (statements.claim_statement): the next contact is the first
        # row of the region that passes the operator's filters, not the least of every waiting
        # row sorted (PostgreSQL read and sorted 4,899 rows, 2.2 ms, for each take). The first
        # also serves what ix_queueing_waiting (status, region, queue, rank_at) served: a
        # region's waiting contacts per queue, and how many wait ahead of one (waits.py).
        # docs/operations.md gives the statements for a database made before them.
        Index("ix_queueing_next", "status", "region", "rank_at", "received_at"),
        Index("ix_queueing_longest", "status", "region", "received_at"),
    )

    contact_id: uuid.UUID = Field(primary_key=True)
    region: str = Field(max_length=20)
    queue: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    category: str = Field(max_length=20)
    matter: str = Field(max_length=40)
    priority: int
    received_at: datetime = Field(sa_column=_ts())
    rank_at: datetime = Field(sa_column=_ts())
    status: str = Field(default="waiting", max_length=12)
    outside_service_hours: bool = False
    # Added in the triage-safety release: `ALTER TABLE queueing_entry ADD COLUMN
    # possible_emergency BOOLEAN NOT NULL DEFAULT false` on a database made before it, and the
    # same for low_confidence.
    possible_emergency: bool = False
    low_confidence: bool = False
    # Triage's explanation for the desk's context card (Contact has what each holds). Added in
    # the desk-page release: ALTER TABLE statements in docs/operations.md; rows from before it
    # read as decided by rules, with no rule or e-service known.
    e_service: str | None = Field(default=None, max_length=64)
    decided_by: str = Field(default="rules", max_length=8)
    rule_id: str | None = Field(default=None, max_length=64)
    confidence: float | None = None
    operator_id: str | None = Field(default=None, max_length=64)
    order_id: uuid.UUID | None = None  # the reinforcement order it was answered under
    assigned_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # When the caller hung up or it timed out, for the wait estimate's departure rate (added
    # in the wait-estimate release: ALTER TABLE in docs/operations.md).
    abandoned_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    outcome: str | None = Field(default=None, max_length=24)
    traceparent: str | None = Field(default=None, max_length=64)  # the contact's trace
    case_number: str | None = Field(default=None, max_length=24)


class Operator(SQLModel, table=True):
    __tablename__ = "queueing_operator"

    operator_id: str = Field(primary_key=True, max_length=64)
    region: str = Field(max_length=20)
    skills: str = Field(default="", max_length=200)  # comma-separated queue names
    # The person's user name, for people reading the board and the audit (operator_id is their
    # token's subject). Added in the identity release, which also dropped token_hash (sessions
    # are bound to the signed-in person, not to a token of queueing's own): see
    # docs/operations.md for the ALTER TABLE statements.
    name: str = Field(default="", max_length=64)
    # The desk's presence (services/queueing/presence.py). Renamed in the desk release:
    # 'available' is now 'ready', 'offline' 'signed_out' (UPDATE statements in
    # docs/operations.md; unmigrated rows still read). status_since and wrap_up_until were
    # added in that release too (ALTER TABLE there).
    status: str = Field(default="ready", max_length=12)
    pause_reason: str | None = Field(default=None, max_length=200)
    status_since: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    wrap_up_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    lent_order_id: uuid.UUID | None = None
    logged_in_at: datetime = Field(sa_column=_ts())

    def skill_set(self) -> list[str]:
        return [s for s in self.skills.split(",") if s]


class ReinforcementOrder(SQLModel, table=True):
    __tablename__ = "queueing_reinforcement_order"

    order_id: uuid.UUID = Field(primary_key=True)
    region: str = Field(max_length=20)
    donors: str = Field(max_length=400)  # "syd:3,ost:2"
    until: datetime = Field(sa_column=_ts())
    ordered_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    end_reason: str | None = Field(default=None, max_length=20)

    def donor_quota(self) -> dict[str, int]:
        pairs = (item.split(":") for item in self.donors.split(",") if item)
        return {region: int(count) for region, count in pairs}


class AuditRecord(SQLModel, table=True):
    """Who changed what: sign-ins, pauses, answers, outcomes, reinforcement orders (no
    citizen data; the person acting is named, which is the point of an audit)."""

    __tablename__ = "queueing_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts())
    kind: str = Field(max_length=32)
    order_id: uuid.UUID | None = Field(default=None, index=True)
    region: str = Field(max_length=20)
    actor: str = Field(max_length=64)  # the person's user name, or the acting service
    actor_id: str = Field(default="", max_length=64, index=True)  # their token's subject
    detail: str = Field(default="", max_length=400)


class OutboxRecord(SQLModel, table=True):
    """An event written in the same transaction as the state change it reports."""

    __tablename__ = "queueing_outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_json: str = Field(sa_column=Column(Text, nullable=False))
    traceparent: str | None = Field(default=None, max_length=64)
    published: bool = Field(default=False, index=True)
    # When the retention job first saw the row published (platform time): it is deleted
    # `PKC_QUEUEING_OUTBOX_RETENTION_DAYS` after. Added in the never-lose release: `ALTER TABLE
    # queueing_outbox ADD COLUMN published_at TIMESTAMP WITH TIME ZONE` (see the release note).
    published_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ProcessedEvent(SQLModel, table=True):
    """Consumed events, recorded with their effect: a redelivery is skipped, not applied twice."""

    __tablename__ = "queueing_processed_event"

    event_id: uuid.UUID = Field(primary_key=True)


class RecordedRequest(SQLModel, table=True):
    """An operator's answer or outcome and the response it got, written in the transaction of
    the change: a retry (same Idempotency-Key, or the same move without one) gets this response
    again instead of a second event. Added in the never-lose release (see the release note);
    rows past `expires_at` are deleted by the sweeper."""

    __tablename__ = "queueing_request"
    __table_args__ = (
        Index("ux_queueing_request_key", "operator_id", "request_key", unique=True),
        Index("ix_queueing_request_contact", "contact_id", "action"),
        Index("ix_queueing_request_expires", "expires_at"),  # the sweeper's delete
    )

    id: int | None = Field(default=None, primary_key=True)
    operator_id: str = Field(max_length=64)  # the person's token subject
    request_key: str | None = Field(default=None, max_length=200)  # None: sent without a key
    action: str = Field(max_length=16)  # answer | outcome
    contact_id: uuid.UUID
    fingerprint: str = Field(max_length=64)  # what was asked: a reused key must ask the same
    response_json: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=_ts())


class RelayLease(SQLModel, table=True):
    """Which outbox relay may publish (one row, `outbox`): replicas share one database, and a
    single publisher keeps each contact's events in commit order. Claimed and renewed with a
    conditional UPDATE; a holder that stops renewing loses it at `expires_at`."""

    __tablename__ = "queueing_relay_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(default="", max_length=120)
    expires_at: datetime = Field(sa_column=_ts())


class Callback(SQLModel, table=True):
    """A waiting caller's callback request (virtual hold): the number is kept only until the
    callback is done (answered, or given up after its tries), then the row is deleted."""

    __tablename__ = "queueing_callback"

    contact_id: uuid.UUID = Field(primary_key=True)
    number: str = Field(max_length=32)  # personal data: never logged, never in an event
    requested_at: datetime = Field(sa_column=_ts())
    tries: int = 0  # calls made that nobody answered
    not_before: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


ALL_TABLES = (
    QueueEntry,
    Operator,
    ReinforcementOrder,
    AuditRecord,
    OutboxRecord,
    ProcessedEvent,
    RecordedRequest,
    RelayLease,
    Callback,
)
