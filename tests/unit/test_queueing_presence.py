"""The desk's presence and offer state machines, without a database: which moves an operator
may make from where, what reporting is told, and a contact's offer taken or given back in its
old place."""

from datetime import timedelta

import pytest

from schemas import Region
from services.queueing.contact import Contact
from services.queueing.domain import (
    ContactStatus,
    Forbidden,
    IllegalMove,
    OperatorOnDuty,
    OperatorStatus,
    QueueError,
    check_can_take,
)
from services.queueing.presence import (
    after_outcome,
    check_may_be_ready,
    check_may_pause,
    check_may_resume,
    may_be_offered,
    reported_status,
)
from tests.queueing_contacts import NOW
from tests.unit.test_queueing_contact import waiting

S = OperatorStatus


def offered(operator_id: str = "op") -> Contact:
    contact = waiting()
    for name, value in Contact.assignment(operator_id, None, NOW, offer=True).items():
        setattr(contact, name, value)
    return contact


def test_reporting_still_hears_available_paused_offline() -> None:
    on_the_desk = [S.READY, S.OFFERED, S.BUSY, S.WRAP_UP]
    assert {reported_status(s) for s in on_the_desk} == {"available"}
    assert reported_status(S.PAUSED) == "paused"
    assert reported_status(S.SIGNED_OUT) == "offline"


def test_rows_from_before_the_desk_still_read() -> None:
    assert S("available") is S.READY
    assert S("offline") is S.SIGNED_OUT


@pytest.mark.parametrize("status", [S.READY, S.WRAP_UP, S.OFFERED])
def test_an_operator_pauses_when_not_busy(status: OperatorStatus) -> None:
    check_may_pause(status)


@pytest.mark.parametrize("status", [S.BUSY, S.PAUSED, S.SIGNED_OUT])
def test_a_busy_or_paused_operator_cannot_pause(status: OperatorStatus) -> None:
    with pytest.raises(QueueError, match=status.value):
        check_may_pause(status)


def test_ready_ends_a_wrap_up_or_a_pause_only() -> None:
    for status in (S.WRAP_UP, S.PAUSED, S.READY):
        check_may_be_ready(status)
    for status in (S.BUSY, S.OFFERED):
        with pytest.raises(QueueError):
            check_may_be_ready(status)
    check_may_resume(S.PAUSED)
    with pytest.raises(QueueError, match="not paused"):
        check_may_resume(S.WRAP_UP)


def test_only_a_ready_operator_is_offered() -> None:
    assert [s for s in S if may_be_offered(s)] == [S.READY]


def test_an_outcome_starts_the_wrap_up_unless_configured_off() -> None:
    assert after_outcome(False, 30) == S.WRAP_UP
    assert after_outcome(False, 0) == S.READY
    assert after_outcome(True, 30) == S.BUSY, "still holding another contact"


def _on_duty(status: OperatorStatus) -> OperatorOnDuty:
    return OperatorOnDuty(status, Region.SYD, ["crime_report"], False, False)


def test_take_next_serves_ready_wrapping_up_and_busy_operators() -> None:
    for status in (S.READY, S.WRAP_UP, S.BUSY):
        check_can_take(_on_duty(status))
    with pytest.raises(QueueError, match="accept or reject"):
        check_can_take(_on_duty(S.OFFERED))
    with pytest.raises(QueueError, match="paused"):
        check_can_take(_on_duty(S.PAUSED))


def test_an_accepted_offer_is_the_operators_as_take_next_gives_it() -> None:
    contact = offered("op")
    assert contact.status == ContactStatus.OFFERED
    later = NOW + timedelta(seconds=3)
    with pytest.raises(Forbidden):
        contact.accept("someone-else", later)
    contact.accept("op", later)
    assert (contact.status, contact.operator_id, contact.assigned_at) == (
        ContactStatus.ASSIGNED,
        "op",
        later,
    )
    with pytest.raises(IllegalMove, match="not offered"):
        contact.accept("op", later)


def test_a_returned_offer_keeps_its_place_and_its_wait() -> None:
    contact = offered("op")
    rank, received = contact.rank_at, contact.received_at
    contact.release()
    assert contact.status == ContactStatus.WAITING
    assert (contact.operator_id, contact.assigned_at) == (None, None)
    assert (contact.rank_at, contact.received_at) == (rank, received)
    with pytest.raises(IllegalMove):
        contact.release()


def test_a_caller_may_hang_up_while_offered() -> None:
    contact = offered("op")
    contact.abandon("hung_up", NOW)
    assert contact.status == ContactStatus.ABANDONED
