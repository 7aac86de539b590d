"""The wait estimate (services/queueing/wait_estimate.py): position over the queue's measured
departure rate, ready operators taking the first at once, staffing when too little was
measured, and no estimate when nobody serves the queue."""

import pytest

from services.queueing.wait_estimate import QueueLoad, estimate_wait, service_rate

# 30 answered and 6 hung up in the last 15 minutes: 36 left the queue, one every 25 s.
BUSY = QueueLoad(
    answered_recently=30, staffed=10, ready=0, handling_seconds=630, abandoned_recently=6
)


def test_the_wait_is_the_position_over_the_rate_contacts_leave_the_queue() -> None:
    assert service_rate(BUSY) == pytest.approx(36 / 900)
    assert estimate_wait(1, BUSY) == pytest.approx(25)
    assert estimate_wait(8, BUSY) == pytest.approx(200)


def test_a_contact_with_an_operator_ready_for_it_waits_nothing() -> None:
    two_ready = QueueLoad(30, 10, 2, 630)
    assert estimate_wait(1, two_ready) == 0
    assert estimate_wait(2, two_ready) == 0
    assert estimate_wait(3, two_ready) == pytest.approx(900 / 30), "one to free up"


def test_too_few_answers_to_measure_fall_back_to_staffing_over_handling_time() -> None:
    morning = QueueLoad(answered_recently=2, staffed=6, ready=0, handling_seconds=600)
    assert estimate_wait(3, morning) == pytest.approx(3 * 600 / 6)


def test_nobody_serving_the_queue_gives_no_estimate() -> None:
    nobody = QueueLoad(answered_recently=0, staffed=0, ready=0, handling_seconds=600)
    assert estimate_wait(1, nobody) is None
    with pytest.raises(ValueError, match="positions start at 1"):
        estimate_wait(0, BUSY)
