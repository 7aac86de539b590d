"""Database engines: SQLite file by default, PostgreSQL when DATABASE_URL says so."""

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

if TYPE_CHECKING:  # reporting's tables are SQLAlchemy's own: SQLModel's ORM costs it memory
    from sqlmodel import SQLModel

# The database's errors rather than a statement's: down, unreachable, locked, or its pool out
# of connections. Every write would meet them alike (group_commit.py).
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, PoolTimeout)


def make_engine(url: str, pool_size: int = 50) -> Engine:
    """Errors never carry the statement's parameters (they can hold personal data).
    `pool_size` bounds PostgreSQL connections; keep it at least the number of threads that
    use the engine at once (FastAPI's sync routes run on up to 40), or they starve."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # No pre-ping: it costs a round trip per checkout; recycling old connections and the
        # consumers' bounded retries cover a server restart instead.
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=10, pool_recycle=300, hide_parameters=True
        )
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class StaleSchemaError(RuntimeError):
    """A table exists with fewer columns than the code needs (a database from an older
    version): the message says which, and what to do."""


def create_tables(engine: Engine, *tables: "Table | type[SQLModel]") -> None:
    """Creates missing tables (SQLModel models or SQLAlchemy tables), and refuses to run on
    an existing table that lacks columns: create_all never alters a table, and the first query
    would fail far from the cause."""
    wanted: list[Table] = [t if isinstance(t, Table) else t.__table__ for t in tables]  # type: ignore[attr-defined]
    if not wanted:
        return
    # Replicas starting together: another one may create a table between our check and our
    # CREATE ("already exists", or a duplicate key in PostgreSQL's catalogue). SQLite creates
    # each table in a transaction of its own, so that can happen once per table; each such
    # failure means one more table now exists, so len(wanted) + 1 tries always suffice. Any
    # other error repeats on every try and is raised.
    for tries_left in reversed(range(len(wanted) + 1)):
        try:
            # create_all creates the tables it is given, whichever metadata holds them.
            wanted[0].metadata.create_all(engine, tables=wanted)
            break
        except DBAPIError:
            if not tries_left:
                raise
    live = inspect(engine)
    for table in wanted:
        present = {c["name"] for c in live.get_columns(table.name)}
        missing = sorted(c.name for c in table.columns if c.name not in present)
        if missing:
            raise StaleSchemaError(
                f"table {table.name} in {engine.url.render_as_string(hide_password=True)} lacks "
                f"columns {', '.join(missing)}: it was made by an older version. For local "
                "state, remove it (`make clean`); in production, migrate it first."
            )


@dataclass(frozen=True)
class NewRow:
    """A row to insert, as its table and its values: no ORM object on a hot path (building a
    SQLModel table row validates and instruments it, about 80 µs: a tenth of intake's CPU when
    it built three per contact)."""

    table: Table
    values: Mapping[str, Any]


# The insert statement of a dialect that has ON CONFLICT: PostgreSQL's or SQLite's.
DialectInsert = Callable[[Table], postgresql.Insert | sqlite.Insert]
_INSERTS: dict[str, DialectInsert] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(bind: Engine | Connection) -> DialectInsert:
    """The insert with ON CONFLICT of the database behind `bind` (the two the project runs on)."""
    name = bind.dialect.name
    if name not in _INSERTS:
        raise ValueError(f"no ON CONFLICT insert for the {name} dialect: use PostgreSQL or SQLite")
    return _INSERTS[name]


def insert_absent(connection: Connection, rows: Iterable[NewRow]) -> None:
    """Inserts each row unless its table holds its primary key (that row is kept: a retry's
    rows are the first attempt's, never a second copy nor an overwrite): one statement per
    table, without a look-up first. In primary-key order, so concurrent writers on PostgreSQL
    lock the keys in one order (no deadlock)."""
    by_table: dict[Table, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_table.setdefault(row.table, []).append(row.values)
    for table, values in by_table.items():
        key = _primary_key(table)
        values.sort(key=lambda row: tuple(str(row[name]) for name in key))
        connection.execute(_insert_absent(dialect_insert(connection), table), values)


@functools.cache
def _primary_key(table: Table) -> tuple[str, ...]:
    return tuple(column.name for column in table.primary_key.columns)


@functools.cache
def _insert_absent(insert: DialectInsert, table: Table) -> postgresql.Insert | sqlite.Insert:
    """Built once per table: building and keying a statement costs more than a few rows."""
    return insert(table).on_conflict_do_nothing(index_elements=list(_primary_key(table)))
