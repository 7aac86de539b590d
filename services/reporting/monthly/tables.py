"""The monthly follow-up's own tables (reporting's database: SQLite file or PostgreSQL).

Counters are summed increments keyed by (month, region, metric, key), so a batch of events is
one bulk upsert; the month leads the key because every read is of one month or two.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel


def utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _ts() -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=True)


class MonthlyCount(SQLModel, table=True):
    __tablename__ = "reporting_monthly_count"

    month: str = Field(primary_key=True, max_length=7)
    region: str = Field(primary_key=True, max_length=20)
    metric: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=60)
    value: int = Field(default=0, sa_type=BigInteger)


class MonthlyOrder(SQLModel, table=True):
    """A reinforcement order, filled in by its events in whatever order they come."""

    __tablename__ = "reporting_monthly_order"

    order_id: uuid.UUID = Field(primary_key=True)
    region: str = Field(max_length=20)
    donors: str | None = Field(default=None, max_length=400)  # "syd:3,ost:2"
    started_at: datetime | None = Field(default=None, sa_column=_ts())
    until: datetime | None = Field(default=None, sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts())


class MonthlyCounted(SQLModel, table=True):
    """Events already counted (aggregation.EventKey), written in the same transaction as their
    counts."""

    __tablename__ = "reporting_monthly_counted"
    # Without a rowid SQLite keeps the keys in the primary key's B-tree alone: half the size.
    __table_args__ = {"sqlite_with_rowid": False}

    hour: int = Field(primary_key=True)  # of the contact's receipt (EventKey)
    event_id: uuid.UUID = Field(primary_key=True)


# The same by event id alone, before the hour led the key: kept where a database has it (read
# only, so an event counted before the upgrade is never counted again), never created.
LEGACY_COUNTED = "reporting_monthly_processed"


class MonthlyPosition(SQLModel, table=True):
    """How far this database has counted each partition, written in the same transaction as
    the counts: the consumer starts there, so a new or emptied database is rebuilt from the
    start of the topics whatever offsets Kafka still holds for the consumer group."""

    __tablename__ = "reporting_monthly_position"

    topic: str = Field(primary_key=True, max_length=200)
    partition: int = Field(primary_key=True)
    next_offset: int = Field(sa_type=BigInteger)


ALL_TABLES = (MonthlyCount, MonthlyOrder, MonthlyCounted, MonthlyPosition)
