"""Queue ordering with aging: priority first, but nothing starves."""

from datetime import UTC, datetime, timedelta

from services.queueing.domain import AGING_STEP, rank_time

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_a_more_urgent_contact_goes_first_when_both_are_fresh() -> None:
    question = rank_time(T0, priority=5)
    tip = rank_time(T0 + timedelta(seconds=30), priority=1)
    assert tip < question


def test_a_low_priority_contact_that_waited_long_enough_overtakes_new_urgent_ones() -> None:
    question = rank_time(T0, priority=5)
    later_tip = rank_time(T0 + 4 * AGING_STEP + timedelta(seconds=1), priority=1)
    assert question < later_tip
