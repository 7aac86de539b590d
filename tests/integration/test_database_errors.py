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
