"""A region's outlook for the people who lead it: the share it is heading for, and the
operators it needs now. The same figures the decisions use (breach.predict for the predicted
breach, domain.staffing for a reinforcement request), computed for a reader at any time, not
only when a decision is taken: the supervisor board shows them beside the share now."""

import functools

from pydantic import BaseModel, Field

from domain.service_level import ServiceLevelPolicy
from domain.staffing.need import operators_needed
from services.reporting.breach import predict
from services.reporting.decisions import DecisionRules
from services.reporting.state import RegionState
from services.reporting.window import at_minute


class Staffing(BaseModel):
    """Operators for the policy's target at the window's arrival rate and handling time."""

    arrivals_per_hour: float = Field(description="contacts offered in the window, per hour")
    handling_seconds: float = Field(description="the region's average handling time")
    operators_needed_erlang_c: int
    operators_needed_erlang_a: int | None = Field(
        description="with the callers' patience (Erlang A); none until patience is known"
    )
    operators_present: int = Field(description="signed in and not paused, as reporting counts")
    shortfall: int = Field(
        description="needed (Erlang A when known, else C) minus present; 0 when enough"
    )


@functools.lru_cache(maxsize=4096)
def _needed(
    arrivals: float, handling: float, patience: float | None, target: float, threshold: float
) -> tuple[int, int | None]:
    """Erlang C and A, as capacity.plan_reinforcement asks, so the board and a request agree.
    Kept: the live stream asks every region at every tick, and Erlang A at a national rate
    costs milliseconds on the worker's loop, while the inputs change only with the window."""
    need = operators_needed(arrivals, handling, patience, target, threshold)
    return need.erlang_c, need.erlang_a


def predicted_share(state: RegionState, rules: DecisionRules) -> float | None:
    """The share if every call now waiting past the threshold, or about to pass it within the
    prediction horizon, misses it (breach.predict); None with nothing handled nor waiting."""
    meta, policy = state.meta, rules.policy
    if not meta.latest:
        return None
    now = at_minute(meta.latest + 1)  # the moment the decisions take for the newest event
    past, soon = state.waiting_past(policy.threshold_seconds, rules.prediction_horizon_seconds, now)
    prediction = predict(state.window(), past, soon)
    return prediction.predicted_share if prediction else None


def staffing(state: RegionState, policy: ServiceLevelPolicy) -> Staffing | None:
    """Erlang C (and A when patience is known) for the window's arrivals; None before any
    contact was offered in the window (no rate to staff for)."""
    arrivals = state.arrivals_per_hour()
    if arrivals <= 0:
        return None
    handling = _tenths(state.handling())
    present = len(state.meta.operators)
    patience = state.meta.patience_seconds
    need_c, need_a = _needed(
        arrivals,
        handling,
        _tenths(patience) if patience is not None else None,
        policy.target,
        policy.threshold_seconds,
    )
    needed = need_a if need_a is not None else need_c
    return Staffing(
        arrivals_per_hour=round(arrivals, 1),
        handling_seconds=handling,
        operators_needed_erlang_c=need_c,
        operators_needed_erlang_a=need_a,
        operators_present=present,
        shortfall=max(0, needed - present),
    )


def _tenths(seconds: float) -> float:
    """A time to a tenth of a second (few keys in _needed's cache), never down to zero: Erlang
    takes only positive times, and contacts resolved within a few hundredths of a second of
    their answer once made the board's every region unreadable."""
    return max(0.1, round(seconds, 1))
