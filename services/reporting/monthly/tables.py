"""The monthly follow-up's own tables (reporting's database: SQLite file or PostgreSQL).

Counters are summed increments keyed by (month, region, metric, key), so a batch of events is
one bulk upsert; the month leads the key because every read is of one month or two.
"""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Uuid


def utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# SQLAlchemy's tables rather than SQLModel's models: every read and write here is a bulk
# statement, never an ORM object, and SQLModel would bring SQLAlchemy's ORM into reporting's
# memory (about 6 MiB resident), which a worker catching up after an outage needs.
METADATA = MetaData()

COUNTS = Table(
    "reporting_monthly_count",
    METADATA,
    Column("month", String(7), primary_key=True),
    Column("region", String(20), primary_key=True),
    Column("metric", String(40), primary_key=True),
    Column("key", String(60), primary_key=True),
    Column("value", BigInteger, nullable=False, default=0),
)

# A reinforcement order, filled in by its events in whatever order they come.
ORDERS = Table(
    "reporting_monthly_order",
    METADATA,
    Column("order_id", Uuid, primary_key=True),
    Column("region", String(20), nullable=False),
    Column("donors", String(400)),  # "syd:3,ost:2"
    Column("started_at", DateTime(timezone=True)),
    Column("until", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
)

# Events already counted (aggregation.EventKey), written in the same transaction as their
# counts. Without a rowid SQLite keeps the keys in the primary key's B-tree alone: half the size.
COUNTED = Table(
    "reporting_monthly_counted",
    METADATA,
    Column("hour", Integer, primary_key=True),  # of the contact's receipt (EventKey)
    Column("event_id", Uuid, primary_key=True),
    sqlite_with_rowid=False,
)

# The same by event id alone, before the hour led the key: kept where a database has it (read
# only, so an event counted before the upgrade is never counted again), never created.
LEGACY_COUNTED = "reporting_monthly_processed"

# How far this database has counted each partition, written in the same transaction as the
# counts: the consumer starts there, so a new or emptied database is rebuilt from the start of
# the topics whatever offsets Kafka still holds for the consumer group.
POSITIONS = Table(
    "reporting_monthly_position",
    METADATA,
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)


ALL_TABLES = (COUNTS, ORDERS, COUNTED, POSITIONS)
