"""Prebuilt SQLAlchemy statements run as prepared statements on PostgreSQL's own driver
connection (psycopg), each compiled once, inside the SQLAlchemy transaction that holds it.

Why: an operator's take-next and answer run five short statements, and SQLAlchemy's part of
running each (its compiled-cache look-up, parameter processing and result set-up) cost this
process about 0.1 ms, as much as psycopg's part; queueing's take+answer rate is bound by its
own CPU (`python -m bench queueing`), not the server's. What stays SQLAlchemy's: the SQL
(built from the tables, as every other statement), the transaction, and the errors, which
come out as `connection.execute` raises them (IntegrityError, OperationalError, …, with no
parameters), a lost connection invalidated as SQLAlchemy invalidates it.

Only statements with every value bound when they run: no expanding IN list (its text changes
with its length; PostgreSQL takes `= ANY(array)`) and no column default filled in by Python
(SQLAlchemy adds those as it executes). Either is refused when first compiled, not run wrong.
"""

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class PreparedResult:
    """What a prepared statement gave: its rows (named tuples) and how many rows it touched."""

    rows: list[Any]
    rowcount: int

    def first(self) -> Any | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any | None:
        return self.rows[0][0] if self.rows else None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    fixed: Mapping[str, Any]  # binds whose value the statement itself holds (literals, LIMIT 1)


@dataclass
class _Cache:
    # Keyed by the statement's id, holding the statement too so the id stays its own.
    compiled: dict[int, tuple[ClauseElement, _Compiled]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_CACHE = _Cache()


def run_prepared(
    connection: Connection, statement: ClauseElement, params: Mapping[str, Any]
) -> PreparedResult:
    """Runs `statement` with `params` on the PostgreSQL connection behind `connection`, in its
    transaction, prepared on the server."""
    compiled = _compiled(statement, connection)
    driver = connection.connection.driver_connection
    # The driver's own module, as SQLAlchemy loaded it: a service on SQLite never imports
    # psycopg (tests/unit/test_service_footprint.py).
    psycopg = connection.dialect.loaded_dbapi
    try:
        with driver.cursor(row_factory=psycopg.rows.namedtuple_row) as cursor:  # type: ignore[union-attr]
            cursor.execute(compiled.sql, {**compiled.fixed, **params}, prepare=True)
            rows = cursor.fetchall() if cursor.description is not None else []
            return PreparedResult(rows, cursor.rowcount)
    except psycopg.Error as error:
        lost = connection.dialect.is_disconnect(cast(Any, error), driver, None)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            None,
            None,
            error,
            psycopg.Error,
            hide_parameters=True,
            dialect=connection.dialect,
            connection_invalidated=lost,
        ) from error


def _compiled(statement: ClauseElement, connection: Connection) -> _Compiled:
    cached = _CACHE.compiled.get(id(statement))
    if cached is not None:
        return cached[1]
    if connection.dialect.name != "postgresql":
        raise ValueError("prepared statements run on PostgreSQL's driver only")
    compiled = statement.compile(dialect=connection.dialect)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {type(statement).__name__}")
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise ValueError("an expanding IN list cannot be prepared: use = ANY(array) instead")
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError("a column default filled in by Python cannot be prepared: give it")
    fixed = {
        name: bind.effective_value
        for bind, name in compiled.bind_names.items()
        if not bind.required
    }
    made = _Compiled(str(compiled), fixed)
    with _CACHE.lock:
        _CACHE.compiled.setdefault(id(statement), (statement, made))
    return made
