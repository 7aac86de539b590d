"""Every statement queueing runs prepared on PostgreSQL (services/shared/prepared.py) can be:
a statement it cannot send as written is refused only when first run, so each is compiled here,
without a database, as it is sent."""

import uuid
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy.dialects.postgresql import psycopg

from services.queueing import repository
from services.queueing.closing import AUDIT, OUTBOX, REQUEST, _combined
from services.queueing.domain import Actor
from services.queueing.requests import OperatorRequest, request_row
from services.queueing.store import Tx
from services.shared.prepared import prepare

POSTGRESQL = psycopg.dialect()  # type: ignore[no-untyped-call]
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

# What ContactRepository._execute is given on PostgreSQL.
RUN_BY_THE_REPOSITORY = {
    "contact": repository._GET,
    "offered to": repository._OFFERED_TO,
    "claim, own region": repository._CLAIMS[True, False],
    "claim, longest waiting": repository._CLAIMS[True, True],
    "claim as busy, own region": repository._CLAIM_OWN_BUSY,
    "claim as busy, longest waiting": repository._CLAIM_LENT_BUSY,
    "answer": repository._ANSWER,
    "held": repository._HELD,
    "overdue": repository._OVERDUE[True],
    "save": repository._SAVE,
    "lock operator": repository._LOCK_OPERATOR,
    "operator": repository._OPERATOR,
}


@pytest.mark.parametrize("name", RUN_BY_THE_REPOSITORY)
def test_each_statement_of_the_repository_can_be_prepared(name: str) -> None:
    prepared = prepare(RUN_BY_THE_REPOSITORY[name], POSTGRESQL)
    assert "POSTCOMPILE" not in prepared.sql


def test_the_closing_rows_of_an_answer_can_be_prepared_as_one_insert() -> None:
    """The shape QueueDb.transaction writes for a move with an event, an audit record and an
    answered request: their rows as the store builds them."""
    tx = Tx(session=cast(Any, None), contacts=cast(Any, None))
    tx.audit(NOW, "answered", "stockholm", Actor("op-1", "sub-1"), contact_id=uuid.uuid4())
    request = OperatorRequest("op-1", "answer", uuid.uuid4(), key="k1")
    outbox = {"event_json": "{}", "traceparent": None, "published": False}
    rows = {OUTBOX: outbox, AUDIT: tx.audits[0], REQUEST: request_row(request, "{}", NOW)}
    shape = tuple((table.name, tuple(row)) for table, row in rows.items())
    prepared = prepare(_combined(shape), POSTGRESQL)
    assert prepared.sql.count("INSERT INTO") == 3


def test_a_list_for_an_array_is_converted_as_sqlalchemy_converts_it() -> None:
    prepared = prepare(repository._CLAIMS[True, False], POSTGRESQL)
    sent = prepared.parameters({"skill_queues": ("general",), "in_region": "stockholm"})
    assert sent["skill_queues"] == ["general"]
    assert sent["in_region"] == "stockholm"
