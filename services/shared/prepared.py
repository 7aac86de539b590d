"""Prebuilt SQLAlchemy statements run as prepared statements on PostgreSQL's own driver
connection (psycopg), each compiled once, inside the SQLAlchemy transaction that holds it.

Why: an operator's take-next and answer run five short statements, and SQLAlchemy's part of
running each (its compiled-cache look-up, parameter processing and result set-up) cost this
process about 0.1 ms, as much as psycopg's part; queueing's take+answer rate is bound by its
own CPU (`python -m bench queueing`), not the server's. What stays SQLAlchemy's: the SQL
(built from the tables, as every other statement), its parameters' conversions, the
transaction, and the errors: raised by SQLAlchemy's own handler (`connection.execute`'s), so
they are its exception classes with no parameters, and a lost connection invalidates the pool
as it would.

Only statements with every value bound when they run: no expanding IN list (its text changes
with its length; PostgreSQL takes `= ANY(array)`) and no column default filled in by Python
(SQLAlchemy adds those as it executes). Either is refused when compiled, not run wrong. Rows
come back as psycopg makes them (named tuples), without SQLAlchemy's result conversions: the
columns it is used on (strings, UUIDs, timestamps, integers, booleans, doubles) have none on
psycopg.
"""

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import PendingRollbackError
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
class Prepared:
    """A statement as it is sent: its text, the values it holds itself (literals, LIMIT 1),
    and the conversions SQLAlchemy makes of some parameters (a list to an array's)."""

    sql: str
    fixed: Mapping[str, Any]
    conversions: Mapping[str, Callable[[Any], Any]]

    def parameters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        given = {**self.fixed, **params}
        for name, convert in self.conversions.items():
            if name in params:
                given[name] = convert(params[name])
        return given


@dataclass
class _Cache:
    # Keyed by the statement's id, holding the statement too so the id stays its own.
    prepared: dict[int, tuple[ClauseElement, Prepared]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_CACHE = _Cache()


def run_prepared(
    connection: Connection, statement: ClauseElement, params: Mapping[str, Any]
) -> PreparedResult:
    """Runs `statement` with `params` on the PostgreSQL connection behind `connection`, in its
    transaction (begun: SQLAlchemy's, not one psycopg would open unseen), prepared on the
    server."""
    if connection.dialect.driver != "psycopg":
        raise ValueError(f"prepared statements run on psycopg, not {connection.dialect.driver}")
    transaction = connection.get_nested_transaction() or connection.get_transaction()
    if transaction is None:
        raise ValueError("a prepared statement runs in a transaction begun on its connection")
    if not transaction.is_active:
        raise PendingRollbackError("the transaction failed; roll it back first")
    cached = _CACHE.prepared.get(id(statement))
    prepared = cached[1] if cached is not None else _remember(statement, connection.dialect)
    driver = connection.connection.driver_connection
    rows = connection.dialect.loaded_dbapi.rows  # psycopg, as SQLAlchemy loaded it
    cursor = None
    try:
        with driver.cursor(row_factory=rows.namedtuple_row) as cursor:  # type: ignore[union-attr]
            cursor.execute(prepared.sql, prepared.parameters(params), prepare=True)
            found = cursor.fetchall() if cursor.description is not None else []
            return PreparedResult(found, cursor.rowcount)
    except BaseException as error:  # as SQLAlchemy's execute: exit exceptions invalidate too
        # Raises: a DBAPI error wrapped in SQLAlchemy's class, parameters never shown; on a
        # lost connection the connection and the pool's others are invalidated.
        connection._handle_dbapi_exception(error, prepared.sql, None, cursor, None)


def prepare(statement: ClauseElement, dialect: Dialect) -> Prepared:
    """The statement compiled for `dialect` as `run_prepared` sends it; ValueError if it cannot
    be sent that way."""
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {type(statement).__name__}")
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise ValueError("an expanding IN list cannot be prepared: use = ANY(array) instead")
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError("a column default filled in by Python cannot be prepared: give it")
    conversions = {}
    fixed = {}
    for bind, name in compiled.bind_names.items():
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            conversions[name] = convert
        if not bind.required:
            value = bind.effective_value
            fixed[name] = convert(value) if convert is not None else value
    return Prepared(str(compiled), fixed, conversions)


def _remember(statement: ClauseElement, dialect: Dialect) -> Prepared:
    prepared = prepare(statement, dialect)
    with _CACHE.lock:
        _CACHE.prepared.setdefault(id(statement), (statement, prepared))
    return prepared
