"""Callbacks (virtual hold) on SQLite and PostgreSQL: a caller keeps their place, is never
timed out, is called back at their turn, and a callback nobody answers is retried a bounded
number of times; the number is kept only until the callback is done and is in no event."""

import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from schemas import Channel, Region
from services.queueing.bootstrap import Queueing, build_core
from services.queueing.contact import Contact
from services.queueing.domain import Actor, ContactStatus, IllegalMove, NotFound, QueueError
from services.queueing.settings import QueueingSettings
from services.queueing.tables import Callback, Operator, OutboxRecord, QueueEntry
from tests.queueing_contacts import NOW, classified

NUMBER = "+46 70 123 45 67"
RETRY = timedelta(minutes=10)


@pytest.fixture
def core(database_url: str) -> Queueing:
    settings = QueueingSettings(
        database_url=database_url, callback_max_tries=2, callback_retry_minutes=10
    )
    return build_core(settings)


def events(core: Queueing) -> list[dict[str, object]]:
    with Session(core.db.engine) as session:
        return [json.loads(r.event_json) for r in session.exec(select(OutboxRecord))]


def sign_in(core: Queueing, name: str) -> Operator:
    return core.operators.sign_in(Actor(name, name), Region.MITT, [], True, NOW)


def taken(core: Queueing, operator: Operator, at: datetime = NOW) -> Contact:
    contact = core.contacts.take_next(operator.operator_id, at)
    assert contact is not None
    return contact


def test_a_callback_keeps_its_place_and_is_retried_then_given_up(core: Queueing) -> None:
    first, caller, later = (classified(Region.MITT, waited=w) for w in (300, 200, 100))
    for contact in (first, caller, later):
        core.contacts.enqueue(contact, NOW)
    requested = core.callbacks.request(caller.contact_id, NUMBER, NOW)
    assert core.callbacks.request(caller.contact_id, NUMBER, NOW) == requested, "a retry"
    one, two, three = (sign_in(core, f"cb-{n}") for n in (1, 2, 3))
    assert taken(core, one).contact_id == first.contact_id
    assert taken(core, two).contact_id == caller.contact_id, "its place, the caller gone"

    task = core.callbacks.task(two, caller.contact_id, NOW)
    assert (task.number, task.attempt, task.max_tries) == (NUMBER, 1, 2)
    with pytest.raises(Exception, match="not assigned to you"):
        core.callbacks.task(three, caller.contact_id, NOW)
    first_try = core.callbacks.no_answer(two, caller.contact_id, NOW)
    assert (first_try.attempt, first_try.retry) == (1, True)
    # Back in its place, but not before the retry delay: the next operator gets `later`.
    assert taken(core, three).contact_id == later.contact_id
    assert taken(core, two, NOW + RETRY).contact_id == caller.contact_id
    assert core.callbacks.task(two, caller.contact_id, NOW + RETRY).attempt == 2
    last_try = core.callbacks.no_answer(two, caller.contact_id, NOW + RETRY)
    assert (last_try.attempt, last_try.retry) == (2, False)

    with Session(core.db.engine) as session:
        assert session.get(Callback, caller.contact_id) is None, "the number is deleted"
        entry = session.get(QueueEntry, caller.contact_id)
        assert entry is not None
        assert entry.status == ContactStatus.ABANDONED
    published = [e for e in events(core) if e.get("contact_id") == str(caller.contact_id)]
    kinds = [(e["event_type"], e.get("attempt") or e.get("reason")) for e in published]
    assert kinds[1:] == [
        ("CallbackRequested", None),
        ("CallbackAttempted", 1),
        ("CallbackAttempted", 2),
        ("Abandoned", "callback_unanswered"),
    ]
    assert "70 123" not in json.dumps(published), "the number is in no event"


def test_a_reached_callback_is_answered_as_a_call_and_its_number_forgotten(
    core: Queueing,
) -> None:
    caller = classified(Region.MITT, waited=120)
    core.contacts.enqueue(caller, NOW)
    core.callbacks.request(caller.contact_id, NUMBER, NOW)
    assert core.contacts.time_out_overdue(timedelta(seconds=1), NOW + timedelta(hours=2)) == 0
    operator = sign_in(core, "cb-answer")
    assert core.contacts.take_next(operator.operator_id, NOW) is not None
    answered = core.contacts.answer(operator, caller.contact_id, NOW + timedelta(minutes=3))
    assert answered.wait_seconds == 120 + 180, "its wait runs until it is reached"
    assert answered.callback, "reporting counts callbacks on their own too"
    with pytest.raises(NotFound, match="no callback"):
        core.callbacks.task(operator, caller.contact_id, NOW)
    with pytest.raises(IllegalMove, match="contact is answered"):  # 409 on the route
        core.callbacks.request(caller.contact_id, "+46 8 123 456", NOW)


def test_callbacks_that_cannot_be_are_refused(core: Queueing) -> None:
    letter = classified(Region.MITT).model_copy(update={"channel": Channel.MAIL})
    call = classified(Region.MITT)
    for contact in (letter, call):
        core.contacts.enqueue(contact, NOW)
    with pytest.raises(NotFound):
        core.callbacks.request(classified().contact_id, NUMBER, NOW)
    with pytest.raises(QueueError, match="only a call"):
        core.callbacks.request(letter.contact_id, NUMBER, NOW)
    with pytest.raises(QueueError, match="not a phone number") as refused:
        core.callbacks.request(call.contact_id, "call me maybe", NOW)
    assert "maybe" not in str(refused.value)
    core.callbacks.request(call.contact_id, NUMBER, NOW)
    with pytest.raises(QueueError, match="another number"):
        core.callbacks.request(call.contact_id, "+46 8 123 456", NOW)
