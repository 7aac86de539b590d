"""A transaction's closing rows (its outbox events, audit records and answered requests) on SQLite
and PostgreSQL: whatever their number, they commit with the transaction in the order written, or
not at all. PostgreSQL writes one of each in one statement, more table by table."""

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import IntegrityError

from domain.service_level import NATIONAL
from schemas import Abandoned, Region
from services.queueing.contact import Contact
from services.queueing.domain import Actor, AuditQuery, QueuePolicy
from services.queueing.outbox_store import OutboxStore
from services.queueing.requests import OperatorRequest, RecordedRequests
from services.queueing.store import QueueDb, Tx
from services.shared.db import make_engine
from tests.queueing_contacts import NOW, classified

CLERK = Actor("clerk", "sub-clerk")
POLICY = QueuePolicy.build("", "close", NATIONAL)


@pytest.fixture
def db(database_url: str) -> Iterator[QueueDb]:
    store = QueueDb(make_engine(database_url, pool_size=4))
    yield store
    store.engine.dispose()


def abandoned() -> Abandoned:
    contact = Contact.arrive(classified(Region.VAST, 3, 60), POLICY, NOW, None).contact
    assert contact is not None
    return contact.abandon("hung_up", NOW)


def answered_request(tx: Tx, key: str) -> OperatorRequest:
    request = OperatorRequest("op-1", "answer", uuid.uuid4(), key)
    RecordedRequests(tx).record(request, f'{{"key": "{key}"}}', NOW)
    return request


@pytest.mark.parametrize("rows", [1, 3])
def test_closing_rows_commit_in_the_order_written(db: QueueDb, rows: int) -> None:
    with db.transaction() as tx:
        events = [abandoned() for _ in range(rows)]
        for event in events:
            tx.emit(event, traceparent=f"00-{event.event_id.hex}-0000000000000001-01")
        for index in range(rows):
            tx.audit(NOW, "answered", Region.VAST.value, CLERK, contact_id=index)
        requests = [answered_request(tx, f"key-{index}") for index in range(rows)]

    pending = OutboxStore(db.engine).pending()
    assert [Abandoned.model_validate_json(p.event_json) for p in pending] == events
    assert [p.traceparent for p in pending] == [
        f"00-{e.event_id.hex}-0000000000000001-01" for e in events
    ]
    audits = db.audit_log(AuditQuery(person="clerk"))
    assert [a.detail for a in reversed(audits)] == [f"contact_id={i}" for i in range(rows)]
    with db.transaction() as tx:
        recorded = RecordedRequests(tx)
        responses = [recorded.of_same_move(request) for request in requests]
    assert responses == [f'{{"key": "key-{index}"}}' for index in range(rows)]


def test_a_request_recorded_twice_under_one_key_rolls_back_its_transaction(db: QueueDb) -> None:
    with db.transaction() as tx:
        answered_request(tx, "the-key")

    def answer_again() -> None:
        with db.transaction() as tx:
            tx.emit(abandoned())
            tx.audit(NOW, "answered", Region.VAST.value, CLERK)
            answered_request(tx, "the-key")

    with pytest.raises(IntegrityError):
        answer_again()
    assert OutboxStore(db.engine).pending() == []
    assert db.audit_log(AuditQuery(person="clerk")) == []
