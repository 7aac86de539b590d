"""An operator's retries change nothing twice, on SQLite and PostgreSQL: a take-next whose
response was lost gets the same contact again; an answer or outcome sent again (under the same
Idempotency-Key, or the same move without one) gets the first response and no second event."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from schemas import Region
from services.queueing.domain import Outcome, QueueError
from services.queueing.requests import OutcomeAlreadyRecorded, RequestReused
from services.queueing.tables import QueueEntry, RecordedRequest
from tests.queueing_contacts import NOW, Queueing, classified


@pytest.fixture
def q(database_url: str) -> Queueing:
    return Queueing(database_url)


def _kinds(q: Queueing) -> list[object]:
    return [e["event_type"] for e in q.events()]


def test_a_repeated_take_next_returns_the_contact_already_held(q: Queueing) -> None:
    first, second = classified(waited=600), classified(waited=60)
    q.contacts.enqueue(first, NOW)
    q.contacts.enqueue(second, NOW)
    operator = q.log_in("op", Region.VAST)
    taken = q.take(operator)  # ... and the response is lost on the way
    again = q.take(operator)
    assert again == taken
    assert again.contact_id == first.contact_id
    assert q.entry(second.contact_id).status == "waiting", "never a second contact"
    q.contacts.answer(operator, first.contact_id, NOW)
    assert q.take(operator).contact_id == second.contact_id, "answered: the next one"


def test_an_answer_sent_again_under_its_key_is_answered_once(q: Queueing) -> None:
    event, other = classified(), classified()
    q.contacts.enqueue(event, NOW)
    operator = q.log_in("op", Region.VAST)
    q.take(operator)
    first = q.contacts.answer(operator, event.contact_id, NOW, key="k-1")
    later = NOW + timedelta(seconds=30)
    assert q.contacts.answer(operator, event.contact_id, later, key="k-1") == first
    assert _kinds(q).count("Answered") == 1
    q.contacts.enqueue(other, NOW)
    with pytest.raises(RequestReused, match="Idempotency-Key"):
        q.contacts.answer(operator, other.contact_id, NOW, key="k-1")
    assert q.entry(other.contact_id).status == "waiting"
    assert q.contacts.answer(operator, event.contact_id, later, key="k-2") == first, "new key"
    assert _kinds(q).count("Answered") == 1


def test_an_outcome_sent_again_is_recorded_once_and_another_is_refused(q: Queueing) -> None:
    event = classified()
    q.contacts.enqueue(event, NOW)
    operator = q.log_in("op", Region.VAST)
    q.take(operator)
    q.contacts.answer(operator, event.contact_id, NOW)
    filed = Outcome.REPORT_FILED
    first = q.contacts.resolve(operator, event.contact_id, filed, NOW, key="o-1")
    assert q.contacts.resolve(operator, event.contact_id, filed, NOW, key="o-1") == first
    assert q.contacts.resolve(operator, event.contact_id, filed, NOW) == first, "without a key"
    with pytest.raises(RequestReused, match="Idempotency-Key"):
        q.contacts.resolve(operator, event.contact_id, Outcome.TRANSFERRED, NOW, key="o-1")
    with pytest.raises(OutcomeAlreadyRecorded, match="another outcome"):
        q.contacts.resolve(operator, event.contact_id, Outcome.TRANSFERRED, NOW)
    kinds = _kinds(q)
    assert kinds.count("ContactResolved") == kinds.count("CaseCreated") == 1
    assert q.entry(event.contact_id).outcome == "report_filed"


def test_a_refusal_is_not_remembered_and_records_expire(q: Queueing) -> None:
    event = classified()
    q.contacts.enqueue(event, NOW)
    operator = q.log_in("op", Region.VAST)
    q.take(operator)
    with pytest.raises(QueueError, match="answer the contact before"):
        q.contacts.resolve(operator, event.contact_id, Outcome.TRANSFERRED, NOW, key="o-1")
    q.contacts.answer(operator, event.contact_id, NOW, key="a-1")
    resolved = q.contacts.resolve(operator, event.contact_id, Outcome.TRANSFERRED, NOW, key="o-1")
    assert resolved.outcome == "transferred", "the refused request's key was free to use"
    with Session(q.db.engine) as session:
        stored = session.exec(select(RecordedRequest)).all()
        assert {(r.operator_id, r.action) for r in stored} == {("op", "answer"), ("op", "outcome")}
    assert q.contacts.forget_expired_requests(NOW + timedelta(hours=23)) == 0
    assert q.contacts.forget_expired_requests(NOW + timedelta(days=1)) == 2
    with Session(q.db.engine) as session:
        assert session.get(QueueEntry, event.contact_id) is not None, "the contact stays"
        assert not session.exec(select(RecordedRequest)).all()
