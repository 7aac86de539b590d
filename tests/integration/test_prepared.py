"""Statements run prepared on PostgreSQL's driver (services/shared/prepared.py) behave as
SQLAlchemy's own execution does: the rows, the transaction, and the errors."""

import pytest
from sqlalchemy import ARRAY, String, any_, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Field, Session, SQLModel

from services.shared.db import create_tables, make_engine
from services.shared.prepared import run_prepared


class Caller(SQLModel, table=True):
    __tablename__ = "test_prepared_caller"

    key: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    calls: int = 0  # a default SQLAlchemy fills in as it executes


CALLER = Caller.__table__  # type: ignore[attr-defined]
ADD = insert(CALLER).values(key=bindparam("key"), name=bindparam("name"), calls=bindparam("calls"))
CALLED = (
    update(CALLER)
    .where(CALLER.c.key == bindparam("key"))
    .values(calls=CALLER.c.calls + 1)
    .returning(CALLER.c.key, CALLER.c.calls)
)


def test_rows_come_back_named_and_commit_with_the_transaction(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=2)
    create_tables(engine, Caller)
    with Session(engine) as session:
        connection = session.connection()
        assert run_prepared(connection, ADD, {"key": "k1", "name": "A", "calls": 0}).rowcount == 1
        for _ in range(6):  # past psycopg's own threshold for preparing: the same text each time
            called = run_prepared(connection, CALLED, {"key": "k1"}).first()
        assert called is not None
        assert (called.key, called.calls) == ("k1", 6)
        assert run_prepared(connection, CALLED, {"key": "nobody"}).first() is None
        session.rollback()
    with Session(engine) as session:
        assert session.connection().execute(select(CALLER)).first() is None, "rolled back"
        connection = session.connection()
        run_prepared(connection, ADD, {"key": "k2", "name": "B", "calls": 3})
        session.commit()
    with Session(engine) as session:
        assert session.connection().execute(select(CALLER.c.calls)).scalar() == 3
    engine.dispose()


def test_a_failed_statement_is_sqlalchemys_error_without_the_values(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=1)
    create_tables(engine, Caller)
    with Session(engine) as session:
        run_prepared(session.connection(), ADD, {"key": "k1", "name": "Agnetha", "calls": 0})
        with pytest.raises(IntegrityError) as failure:
            run_prepared(session.connection(), ADD, {"key": "k1", "name": "Lyngstad", "calls": 0})
    assert "test_prepared_caller" in str(failure.value)
    assert "Lyngstad" not in str(failure.value)
    engine.dispose()


def test_a_lost_connection_invalidates_the_pool_and_the_next_transaction_gets_a_new_one(
    postgres_url: str,
) -> None:
    """After a server restart every pooled connection is dead: one failure must invalidate
    them all, as SQLAlchemy's own execute does, or each would fail a request of its own."""
    engine, killer = make_engine(postgres_url, pool_size=2), make_engine(postgres_url, pool_size=1)
    create_tables(engine, Caller)
    first, second = Session(engine), Session(engine)
    backends = [
        s.connection().execute(text("SELECT pg_backend_pid()")).scalar_one()
        for s in (first, second)
    ]
    second.close()  # back in the pool, alive as far as the pool knows
    with killer.connect() as connection:
        for backend in backends:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    with pytest.raises(OperationalError) as failure:
        run_prepared(first.connection(), CALLED, {"key": "k1"})
    assert failure.value.connection_invalidated
    first.close()
    with Session(engine) as session:  # the pooled one, killed too, is replaced
        run_prepared(session.connection(), ADD, {"key": "k1", "name": "A", "calls": 0})
        session.commit()
    engine.dispose()
    killer.dispose()


def test_a_list_is_sent_as_an_array_whatever_sequence_it_comes_as(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=1)
    create_tables(engine, Caller)
    named = select(CALLER.c.key).where(CALLER.c.key == any_(bindparam("keys", type_=ARRAY(String))))
    with Session(engine) as session:
        run_prepared(session.connection(), ADD, {"key": "k1", "name": "A", "calls": 0})
        for keys in (["k1", "k2"], ("k1", "k2")):  # psycopg alone sends a tuple as a row
            assert run_prepared(session.connection(), named, {"keys": keys}).scalar() == "k1"
    engine.dispose()


def test_statements_it_cannot_run_as_written_are_refused_before_they_run(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url, pool_size=1)
    create_tables(engine, Caller)
    expanding = select(CALLER).where(CALLER.c.key.in_(bindparam("keys", expanding=True)))
    defaulted = insert(CALLER).values(key=bindparam("key"), name=bindparam("name"))
    with engine.connect() as connection, pytest.raises(ValueError, match="transaction"):
        run_prepared(connection, ADD, {"key": "k1", "name": "A", "calls": 0})
    with Session(engine) as session:
        with pytest.raises(ValueError, match="ANY"):
            run_prepared(session.connection(), expanding, {"keys": ["k1"]})
        with pytest.raises(ValueError, match="default"):
            run_prepared(session.connection(), defaulted, {"key": "k1", "name": "A"})
    engine.dispose()
