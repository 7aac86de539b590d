"""The rolling window's counts and the breach decision, without Kafka."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from schemas import Abandoned, Answered, Channel, NeedCategory, Region
from services.reporting.breach import BreachPolicy, Transition, decide
from services.reporting.window import RegionWindow, WindowConfig

CONFIG = WindowConfig(length=timedelta(minutes=60))
MORNING = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm (summer time)


def answered(wait: float, at: datetime, channel: Channel = Channel.PHONE) -> Answered:
    return Answered(
        occurred_at=at,
        contact_id=uuid4(),
        region=Region.MITT,
        channel=channel,
        category=NeedCategory.CASE_HELP,
        received_at=at - timedelta(seconds=wait),
        wait_seconds=wait,
        operator_id="op",
        operator_region=Region.MITT,
    )


def abandoned(wait: float, at: datetime) -> Abandoned:
    return Abandoned(
        occurred_at=at,
        contact_id=uuid4(),
        region=Region.MITT,
        channel=Channel.PHONE,
        category=NeedCategory.CASE_HELP,
        received_at=at - timedelta(seconds=wait),
        wait_seconds=wait,
    )


def test_share_is_answered_within_ten_minutes_over_answered_and_real_abandons() -> None:
    state = RegionWindow()
    for i in range(6):
        state.record(answered(60, MORNING + timedelta(minutes=i)), CONFIG)
    state.record(answered(900, MORNING + timedelta(minutes=7)), CONFIG)
    state.record(abandoned(2, MORNING + timedelta(minutes=8)), CONFIG)  # short: not counted
    state.record(abandoned(700, MORNING + timedelta(minutes=9)), CONFIG)
    window = state.window(CONFIG)
    assert (window.answered_within, window.answered_late, window.abandoned) == (6, 1, 2)
    assert window.share == 6 / 8


def test_a_duplicate_event_is_counted_once() -> None:
    state = RegionWindow()
    event = answered(60, MORNING)
    assert state.record(event, CONFIG)
    assert not state.record(event, CONFIG)
    assert state.window(CONFIG).answered_within == 1


def test_events_leave_the_window_as_event_time_moves_on() -> None:
    state = RegionWindow()
    state.record(answered(900, MORNING), CONFIG)
    state.record(answered(60, MORNING + timedelta(minutes=61)), CONFIG)
    window = state.window(CONFIG)
    assert (window.answered_within, window.answered_late) == (1, 0)


def test_a_late_event_within_retention_is_counted_in_its_own_minute() -> None:
    state = RegionWindow()
    state.record(answered(60, MORNING + timedelta(minutes=30)), CONFIG)
    state.record(answered(900, MORNING + timedelta(minutes=5)), CONFIG)  # out of order
    assert state.window(CONFIG).answered_late == 1


def test_events_older_than_retention_are_counted_as_late_not_lost() -> None:
    state = RegionWindow()
    state.record(answered(60, MORNING + timedelta(hours=3)), CONFIG)
    assert not state.record(answered(60, MORNING), CONFIG)
    assert state.late == 1


def test_only_phone_contacts_in_service_hours_count() -> None:
    state = RegionWindow()
    night = datetime(2026, 5, 4, 22, 0, tzinfo=UTC)  # 00:00 in Stockholm
    assert not state.record(answered(60, night), CONFIG)
    assert not state.record(answered(60, MORNING, channel=Channel.E_SERVICE), CONFIG)
    assert state.window(CONFIG).share is None


def _window(within: int, late: int) -> RegionWindow:
    state = RegionWindow()
    for i in range(within):
        state.record(answered(60, MORNING + timedelta(seconds=i)), CONFIG)
    for i in range(late):
        state.record(answered(900, MORNING + timedelta(seconds=i)), CONFIG)
    return state


POLICY = BreachPolicy(target=0.85, recovery_margin=0.03, min_volume=20)


def test_breach_needs_minimum_volume() -> None:
    verdict = decide(Region.MITT, _window(5, 5).window(CONFIG), False, None, POLICY)
    assert verdict.transition is None


def test_breach_opens_once_and_recovers_only_above_the_margin() -> None:
    low = _window(16, 4).window(CONFIG)  # 80 %
    first = decide(Region.MITT, low, False, None, POLICY)
    assert first.transition == Transition.BREACHED
    again = decide(Region.MITT, low, first.in_breach, first.episode_id, POLICY)
    assert again.transition is None, "one SlaBreached per episode"
    just_above = _window(86, 14).window(CONFIG)  # 86 %: above target, below target + margin
    held = decide(Region.MITT, just_above, True, first.episode_id, POLICY)
    assert held.transition is None
    assert held.in_breach
    well_above = _window(90, 10).window(CONFIG)
    recovered = decide(Region.MITT, well_above, True, first.episode_id, POLICY)
    assert recovered.transition == Transition.RECOVERED
    assert recovered.episode_id == first.episode_id


def test_a_replay_opens_the_same_episode() -> None:
    low = _window(10, 10).window(CONFIG)
    assert (
        decide(Region.MITT, low, False, None, POLICY).episode_id
        == decide(Region.MITT, low, False, None, POLICY).episode_id
    )
