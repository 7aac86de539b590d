"""Database engines: SQLite file by default, PostgreSQL when DATABASE_URL says so."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, SQLModel, create_engine

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


def create_tables(engine: Engine, *tables: type[SQLModel]) -> None:
    """Creates missing tables, and refuses to run on an existing table that lacks columns:
    create_all never alters a table, and the first query would fail far from the cause."""
    wanted = [t.__table__ for t in tables]  # type: ignore[attr-defined]
    try:
        SQLModel.metadata.create_all(engine, tables=wanted)
    except DBAPIError:
        # Replicas starting together: another one created a table between our check and our
        # CREATE ("already exists", or a duplicate key in PostgreSQL's catalogue). Once more:
        # the check now sees it; any other error repeats and is raised.
        SQLModel.metadata.create_all(engine, tables=wanted)
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


def add_absent(session: Session, rows: Iterable[SQLModel]) -> None:
    """Adds each row unless the table has one with its primary key: a retry's rows are the
    first attempt's, never a second copy nor an overwrite."""
    for row in rows:
        key = inspect(type(row)).primary_key_from_instance(row)
        if session.get(type(row), key) is None:
            session.add(row)
