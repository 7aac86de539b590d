"""Each region's queue state, read from the queueing database (SQLite and PostgreSQL): the
figures `GET /queues/{region}` shows, split further by priority, channel and operator state."""

from datetime import timedelta

import pytest

from schemas import Channel, QueueName, Region
from schemas.queue_state import QueueState
from services.queueing.presence import PauseReason
from services.queueing.queue_state import QueueStates
from services.queueing.settings import QueueingSettings
from tests.queueing_contacts import NOW, Queueing, classified


@pytest.fixture
def q(database_url: str) -> Queueing:
    return Queueing(database_url)


def states(q: Queueing) -> dict[Region, QueueState]:
    read = QueueStates(q.db, QueueingSettings().service_level()).read(NOW)
    return {state.region: state for state in read}


def test_the_snapshot_agrees_with_the_live_view_and_splits_it_further(q: Queueing) -> None:
    mailed = classified(priority=5, waited=1200).model_copy(update={"channel": Channel.MAIL})
    for contact in (classified(priority=2), mailed, classified(possible_emergency=True)):
        q.contacts.enqueue(contact, NOW)
    q.contacts.enqueue(classified(Region.SYD), NOW)
    busy = q.log_in("op-busy", Region.VAST)
    q.take(busy)  # the possible emergency: it jumps the queue
    q.log_in("op-ready", Region.VAST)
    q.log_in("op-break", Region.VAST)
    q.operators.pause("op-break", PauseReason.RAST, NOW)
    q.log_in("op-gone", Region.VAST)
    q.operators.log_out("op-gone", NOW)

    vast = states(q)[Region.VAST]
    live = q.contacts.state(Region.VAST, NOW)
    assert vast.waiting_total == live["waiting_total"] == 2
    assert vast.oldest_wait_seconds == live["oldest_wait_seconds"] == 1200
    assert vast.possible_emergencies_waiting == live["possible_emergencies_waiting"] == 0
    assert {k.value: v for k, v in vast.waiting_by_queue.items()} == live["waiting"]
    assert vast.waiting_by_priority == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert (vast.waiting_by_channel[Channel.PHONE], vast.waiting_by_channel[Channel.MAIL]) == (1, 1)
    assert vast.service_level.waiting_over_threshold == 1  # the mail, 20 min > 10 min
    operators = vast.operators
    assert (operators.ready, operators.busy, operators.paused, operators.signed_out) == (1, 1, 1, 1)
    assert operators.ready == live["operators_available"]  # the live view counts ready only
    assert operators.paused_by_reason["rast"] == 1
    assert states(q)[Region.SYD].waiting_by_queue[QueueName.CRIME_REPORT] == 1


def test_an_answered_contact_keeps_its_operator_busy_until_the_outcome(q: Queueing) -> None:
    contact = classified(waited=10)
    q.contacts.enqueue(contact, NOW)
    operator = q.log_in("op-1", Region.VAST)
    q.take(operator)
    q.contacts.answer(operator, contact.contact_id, NOW + timedelta(seconds=5))
    assert states(q)[Region.VAST].operators.busy == 1
    assert states(q)[Region.VAST].waiting_total == 0
