"""What /sla tells the supervisor board besides the share now: the share a region is heading
for, and the operators it needs by Erlang C/A, the same figures a reinforcement request
carries."""

from datetime import UTC, datetime, timedelta

from domain.service_level import NATIONAL
from schemas import Region
from services.reporting.capacity import Capacity, plan_reinforcement
from services.reporting.decisions import DecisionRules
from services.reporting.outlook import predicted_share, staffing
from services.reporting.state import RegionMeta, RegionState
from services.reporting.window import DictBuckets, WindowConfig
from tests import contact_events

CONFIG = WindowConfig(length=timedelta(minutes=60))
RULES = DecisionRules(NATIONAL)
MORNING = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm (summer time)


def busy_morning() -> RegionState:
    """Mitt: 40 calls queued over half an hour, 30 answered in time, the last 10 still
    waiting, 3 operators on duty."""
    state = RegionState(RegionMeta(), DictBuckets(), CONFIG)
    for i in range(40):
        received = MORNING + timedelta(seconds=45 * i)
        state.apply(contact_events.queued(received, region=Region.MITT, triage_seconds=0))
        if i < 30:
            state.apply(contact_events.answered(received, 60, region=Region.MITT))
    state.meta.operators = ["op-1", "op-2", "op-3"]
    return state


def test_the_staffing_suggestion_is_what_a_reinforcement_request_would_ask() -> None:
    state = busy_morning()
    suggested = staffing(state, NATIONAL)
    assert suggested is not None
    assert suggested.arrivals_per_hour == 40.0  # 40 offered in a 60-minute window
    assert suggested.operators_present == 3
    capacity = Capacity(
        Region.MITT, state.arrivals_per_hour(), state.handling(), None, 3, None, in_breach=True
    )
    plan = plan_reinforcement(capacity, [], NATIONAL)
    assert suggested.operators_needed_erlang_c == plan.needed_erlang_c
    assert suggested.operators_needed_erlang_a is None  # no abandon yet: patience unknown
    assert suggested.shortfall == plan.shortfall > 0, "40 calls an hour at 6 min need more than 3"


def test_a_region_handling_and_abandoning_within_hundredths_of_a_second_is_still_staffed() -> None:
    state = busy_morning()
    state.meta.handling_seconds, state.meta.patience_seconds = 0.03, 0.04
    suggested = staffing(state, NATIONAL)
    assert suggested is not None
    assert suggested.handling_seconds == 0.1
    assert suggested.operators_needed_erlang_c >= 1


def test_the_predicted_share_counts_the_calls_waiting_past_the_threshold_as_missed() -> None:
    state = busy_morning()
    # At 10:42 the 10 still waiting (queued 10:22-10:29) have passed the ten minutes.
    state.apply(contact_events.answered(MORNING + timedelta(minutes=41), 60, region=Region.MITT))
    assert state.window().share == 1.0, "every answer so far was in time"
    assert predicted_share(state, RULES) == 31 / (31 + 10)


def test_a_region_with_nothing_offered_has_no_suggestion_and_no_prediction() -> None:
    empty = RegionState(RegionMeta(), DictBuckets(), CONFIG)
    assert staffing(empty, NATIONAL) is None
    assert predicted_share(empty, RULES) is None
