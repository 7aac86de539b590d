"""Database errors reach logs and responses: they must not carry the rows' personal data."""

from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from pkc.ports import free_port
from services.shared.db import create_tables, make_engine
from services.shared.http import DatabaseProbe


class Caller(SQLModel, table=True):
    __tablename__ = "test_db_errors_caller"

    key: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)


class Callback(SQLModel, table=True):
    __tablename__ = "test_db_errors_callback"

    key: str = Field(primary_key=True, max_length=40)


def test_replicas_creating_the_tables_together_all_start(database_url: str) -> None:
    """The worst interleaving of two replicas starting on one empty database: the other one
    creates each table just after our check saw it missing, so every CREATE of ours fails."""
    engine, other = make_engine(database_url, pool_size=1), make_engine(database_url, pool_size=1)
    tables = [Caller.__table__, Callback.__table__]  # type: ignore[attr-defined]
    created_first: list[str] = []

    def the_other_replica_first(*args: object) -> None:
        statement = str(args[2])
        for table in tables:
            if f"CREATE TABLE {table.name} " in statement and table.name not in created_first:
                created_first.append(table.name)
                table.create(other)

    event.listen(engine, "before_cursor_execute", the_other_replica_first)
    create_tables(engine, Caller, Callback)
    assert created_first == [t.name for t in tables], "each CREATE of ours met the other's table"
    with Session(engine) as session:
        session.add(Callback(key="k1"))
        session.commit()
    engine.dispose()
    other.dispose()


def test_a_failed_statement_names_the_table_not_the_values(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    create_tables(engine, Caller)
    with Session(engine) as session:
        session.add(Caller(key="k1", name="Agnetha Fältskog"))
        session.commit()
    with Session(engine) as session:
        session.add(Caller(key="k1", name="Anni-Frid Lyngstad"))
        with pytest.raises(IntegrityError) as failure:
            session.commit()
    message = str(failure.value)
    assert "test_db_errors_caller" in message
    assert "Lyngstad" not in message
    engine.dispose()


async def test_readiness_says_whether_the_database_answers(database_url: str) -> None:
    answering = DatabaseProbe(make_engine(database_url, pool_size=1), timeout=5)
    assert await answering() is True
    down = make_engine(f"postgresql://pkc@127.0.0.1:{free_port()}/nothing", pool_size=1)
    assert await DatabaseProbe(down, timeout=5)() is False, "no server there: not ready"


async def test_readiness_asks_the_database_at_most_once_per_ttl(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'probe.db'}", pool_size=1)
    asked: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: asked.append(args[2]))
    probe = DatabaseProbe(engine, ttl=60)
    assert await probe() is True
    assert await probe() is True
    assert asked.count("SELECT 1") == 1, "a prober calling often costs one query per ttl"
