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
    __table_args__ = (Index("ix_queueing_waiting", "status", "region", "rank_at"),)

    contact_id: uuid.UUID = Field(primary_key=True)
    region: str = Field(max_length=20)
    queue: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    category: str = Field(max_length=20)
    priority: int
    received_at: datetime = Field(sa_column=_ts())
    rank_at: datetime = Field(sa_column=_ts())
    status: str = Field(default="waiting", max_length=12)  # waiting, assigned, answered
    operator_id: str | None = Field(default=None, max_length=64)
    assigned_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Operator(SQLModel, table=True):
    __tablename__ = "queueing_operator"

    operator_id: str = Field(primary_key=True, max_length=64)
    region: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, index=True)
    status: str = Field(default="available", max_length=12)
    logged_in_at: datetime = Field(sa_column=_ts())


class OutboxRecord(SQLModel, table=True):
    """An event written in the same transaction as the state change it reports."""

    __tablename__ = "queueing_outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_json: str = Field(sa_column=Column(Text, nullable=False))
    published: bool = Field(default=False, index=True)


class ProcessedEvent(SQLModel, table=True):
    """Consumed events, recorded with their effect: a redelivery is skipped, not applied twice."""

    __tablename__ = "queueing_processed_event"

    event_id: uuid.UUID = Field(primary_key=True)
