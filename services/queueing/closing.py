"""A transaction's closing rows, written together just before it commits: its outbox events, its
audit records and the operator requests it answered.

An operator's move (an answer, an outcome) writes one row to each of these tables. On PostgreSQL
they go in one statement, each table's insert a data-modifying CTE of the next: every statement
cost this process about a quarter of a millisecond in SQLAlchemy and psycopg, more than the
server spent on the row. Only single rows are combined: SQLAlchemy caches no compiled insert of
several VALUES rows, and compiling one cost more than the statements it saved. SQLite has no
data-modifying CTEs, and a consumer's batch of hundreds of events is one executemany anyway;
both insert table by table.
"""

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Insert, Table, bindparam, insert

from services.queueing.tables import AuditRecord, OutboxRecord, RecordedRequest
from services.shared.prepared import run_prepared

OUTBOX: Table = OutboxRecord.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditRecord.__table__  # type: ignore[attr-defined]
REQUEST: Table = RecordedRequest.__table__  # type: ignore[attr-defined]
_TABLES = {table.name: table for table in (OUTBOX, AUDIT, REQUEST)}
_INSERTS = {name: insert(table) for name, table in _TABLES.items()}

Rows = Sequence[Mapping[str, Any]]
# Per table, in the order they are written: its name and the columns of its one row.
_Shape = tuple[tuple[str, tuple[str, ...]], ...]


def write_closing_rows(connection: Connection, rows_by_table: Mapping[Table, Rows]) -> None:
    """Inserts each table's rows (every row of a table with the same columns); in one statement
    on PostgreSQL when more than one table has rows and each has one."""
    present = [(table, rows) for table, rows in rows_by_table.items() if rows]
    combined = connection.dialect.name == "postgresql" and len(present) > 1
    if not combined or any(len(rows) > 1 for _, rows in present):
        for table, rows in present:
            connection.execute(_INSERTS[table.name], list(rows))
        return
    shape = tuple((table.name, tuple(rows[0])) for table, rows in present)
    params = {
        _param(table.name, column): value
        for table, (row,) in present
        for column, value in row.items()
    }
    run_prepared(connection, _combined(shape), params)


@lru_cache(maxsize=32)
def _combined(shape: _Shape) -> Insert:
    """The last table's insert, with each earlier table's insert as a CTE of it. Built once per
    shape: building it cost as much as running it."""
    inserts = [
        insert(_TABLES[name]).values(
            {column: bindparam(_param(name, column)) for column in columns}
        )
        for name, columns in shape
    ]
    *earlier, last = inserts
    for position, statement in enumerate(earlier):
        last = last.add_cte(statement.cte(f"closing_{position}"))
    return last


def _param(table: str, column: str) -> str:
    return f"{table}_{column}"
