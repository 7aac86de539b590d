"""Two operator requests under one Idempotency-Key at once, on PostgreSQL: both find the key
unused, and the one that commits second fails on the key's unique index. Run once more, it gets
what a later retry would: `RequestReused` (409) for another request, the first response for the
same one; never the database's error (500). SQLite runs one writing transaction at a time, so
this is PostgreSQL's alone.

The race is made certain, not hoped for: the other request's record commits right after this
one has found the key unused."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert

from schemas import Region
from services.queueing.contact import Contact
from services.queueing.requests import (
    OperatorRequest,
    RecordedRequests,
    RequestReused,
    request_row,
)
from services.queueing.tables import Operator, RecordedRequest
from tests.queueing_contacts import NOW, Queueing, classified

KEY = "the-key"


@pytest.fixture
def q(postgres_url: str) -> Queueing:
    return Queueing(postgres_url)


def other_request_commits_once_the_key_is_found_unused(
    q: Queueing, monkeypatch: pytest.MonkeyPatch, other: OperatorRequest, response: str
) -> None:
    found_unused = RecordedRequests.under_key
    raced: list[OperatorRequest] = []

    def under_key(self: RecordedRequests, request: OperatorRequest) -> str | None:
        first = found_unused(self, request)
        if first is None and not raced:
            raced.append(request)
            with q.db.engine.begin() as connection:  # the other request, committing first
                row = request_row(other, response, NOW + timedelta(days=1))
                connection.execute(insert(RecordedRequest.__table__), row)  # type: ignore[attr-defined]
        return first

    monkeypatch.setattr(RecordedRequests, "under_key", under_key)


def held(q: Queueing) -> tuple[Operator, Contact]:
    """Operator "op" holding a contact they have not answered yet."""
    q.contacts.enqueue(classified(), NOW)
    operator = q.log_in("op", Region.VAST)
    return operator, q.take(operator)


def test_an_answer_losing_the_race_for_its_key_to_another_request_is_refused_as_reused(
    q: Queueing, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator, contact = held(q)
    elsewhere = OperatorRequest("op", "answer", uuid.uuid4(), KEY)
    other_request_commits_once_the_key_is_found_unused(q, monkeypatch, elsewhere, "{}")
    with pytest.raises(RequestReused, match="Idempotency-Key"):
        q.contacts.answer(operator, contact.contact_id, NOW, key=KEY)
    assert q.entry(contact.contact_id).status == "assigned", "nothing of the losing answer kept"
    assert [e["event_type"] for e in q.events()].count("Answered") == 0


def test_an_answer_losing_the_race_to_the_same_answer_gets_the_first_response(
    q: Queueing, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator, contact = held(q)
    same = OperatorRequest("op", "answer", contact.contact_id, KEY)
    first = contact.answer("op", Region.VAST, NOW)  # what the racing twin answered (in memory)
    other_request_commits_once_the_key_is_found_unused(
        q, monkeypatch, same, first.model_dump_json()
    )
    assert q.contacts.answer(operator, contact.contact_id, NOW, key=KEY) == first
    assert [e["event_type"] for e in q.events()].count("Answered") == 0, "no second event"
