"""Database errors reach logs and responses: they must not carry the rows' personal data."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from services.shared.db import create_tables, make_engine


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
