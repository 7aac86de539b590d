"""Transient or poison: the one place that says what a consumer's failure is.

TRANSIENT: the world is briefly broken (a database unavailable or locked, a broker timing out,
the network): the same record will go through once it mends, so it is retried for as long as it
lasts, and never dead-lettered. POISON: the record itself cannot be taken (it does not decode or
validate, or a handler refused it on purpose by raising `Refused`): retrying cannot help, so it
goes to the DLQ at once. Anything else is UNKNOWN (a bug, a constraint): tried a few times, then
treated as poison, so one bad record never holds a partition for good.
"""

import enum
import sqlite3
import sys

from aiokafka import errors as kafka_errors
from pydantic import ValidationError
from sqlalchemy import exc as sql_errors

from schemas.codec import UndecodableEvent


class Refused(Exception):
    """A handler's deterministic refusal of a record (no retry can change its verdict): it is
    dead-lettered at once. The message goes into the dead letter's reason and the logs, so it
    must name the rule, never the record's personal data."""


class Kind(enum.Enum):
    TRANSIENT = "transient"
    POISON = "poison"
    UNKNOWN = "unknown"


# SQLite's messages for a database another connection holds, or a file briefly unreachable.
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")
_KAFKA_TRANSIENT = (
    kafka_errors.KafkaTimeoutError,
    kafka_errors.KafkaConnectionError,
    kafka_errors.NotEnoughReplicasError,
    kafka_errors.NotEnoughReplicasAfterAppendError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.LeaderNotAvailableError,
    kafka_errors.NotLeaderForPartitionError,
)


def classify(error: BaseException) -> Kind:
    """The kind of `error`, or of the error it was raised from (a handler may wrap one)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = _own_kind(current)
        if kind is not Kind.UNKNOWN:
            return kind
        current = current.__cause__
    return Kind.UNKNOWN


def _own_kind(error: BaseException) -> Kind:
    if isinstance(error, Refused | UndecodableEvent | ValidationError):
        return Kind.POISON
    if isinstance(error, sql_errors.DBAPIError) and error.connection_invalidated:
        return Kind.TRANSIENT
    if isinstance(error, sql_errors.TimeoutError | sql_errors.DisconnectionError):
        return Kind.TRANSIENT  # the pool found no connection in time, or lost one
    if isinstance(error, sql_errors.OperationalError | sql_errors.InterfaceError):
        return _database_kind(error.orig)
    if isinstance(error, (*_psycopg("OperationalError"), sqlite3.OperationalError)):
        return _database_kind(error)
    if isinstance(error, _KAFKA_TRANSIENT):
        return Kind.TRANSIENT
    if isinstance(error, kafka_errors.KafkaError) and error.retriable:
        return Kind.TRANSIENT
    if isinstance(error, OSError):  # ConnectionError and TimeoutError included
        return Kind.TRANSIENT
    return Kind.UNKNOWN


def _database_kind(driver_error: BaseException | None) -> Kind:
    """PostgreSQL's operational errors are about the server or the connection (down, restarting,
    a deadlock or serialisation to retry); SQLite's also cover a missing table or a malformed
    file, so only its lock and I/O messages count as passing."""
    if isinstance(driver_error, _psycopg("Error")):
        return Kind.TRANSIENT
    if isinstance(driver_error, sqlite3.Error):
        message = str(driver_error).lower()
        return Kind.TRANSIENT if any(m in message for m in _SQLITE_TRANSIENT) else Kind.UNKNOWN
    return Kind.TRANSIENT if driver_error is None else _own_kind(driver_error)


def _psycopg(error_name: str) -> tuple[type[BaseException], ...]:
    """psycopg's error class of that name, or none: SQLAlchemy loads psycopg (8 MiB resident)
    only for a PostgreSQL URL, and a process that never loaded it cannot have raised its errors."""
    psycopg = sys.modules.get("psycopg")
    return (getattr(psycopg, error_name),) if psycopg is not None else ()


def describe(error: BaseException) -> str:
    """Why, for a dead letter's reason and the logs: the exception's type and message, except a
    validation error's message, which quotes the input (personal data): its fields' places and
    error types only."""
    if isinstance(error, ValidationError):
        places = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('type', '')}"
            for e in error.errors()
        )
        return f"ValidationError: {error.title}: {places}"
    return f"{type(error).__name__}: {error}"
