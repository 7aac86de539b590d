"""Operators needed for a service level, by Erlang C and (when patience is known) Erlang A.

The target, the threshold and the short-abandon limit default to the national service-level
policy (domain/service_level.py); callers that built their own policy from settings pass its
figures. The occupancy cap is a different figure: how busy operators may be, not the target.
"""

from dataclasses import dataclass

from domain.service_level import NATIONAL
from domain.staffing import defaults, inputs
from domain.staffing.erlang_a import operators_a, service_level_a
from domain.staffing.erlang_c import operators_c, service_level_c


@dataclass(frozen=True)
class StaffingNeed:
    erlang_c: int  # operators for the target by Erlang C
    erlang_a: int | None  # by Erlang A when patience is known
    offered_erlangs: float  # arrivals × AHT
    service_level_c: float  # the share Erlang C predicts at erlang_c operators
    service_level_a: float | None


def operators_needed(
    arrivals_per_hour: float,
    handling_seconds: float,
    patience_seconds: float | None = None,
    target: float = NATIONAL.target,
    threshold_seconds: float = NATIONAL.threshold_seconds,
    max_occupancy: float = defaults.MAX_OCCUPANCY,
    short_abandon_seconds: float = NATIONAL.short_abandon_seconds,
) -> StaffingNeed:
    """Operators to answer `target` of calls within `threshold_seconds`, occupancy capped.

    Erlang A counts as reporting does: answered within the threshold over answered + abandoned
    after the short-abandon limit, so impatient callers can make it ask for more operators than
    Erlang C does.
    """
    arrivals = inputs.non_negative("arrivals_per_hour", arrivals_per_hour)
    handling = inputs.positive("handling_seconds", handling_seconds)
    patience = inputs.patience(patience_seconds)
    target = inputs.share("target", target, allow_one=False)
    threshold = inputs.positive("threshold_seconds", threshold_seconds)
    occupancy = inputs.share("max_occupancy", max_occupancy, allow_one=True)
    need_c, level_c = operators_c(arrivals, handling, target, threshold, occupancy)
    need_a: int | None = None
    level_a: float | None = None
    if patience is not None:
        need_a, level_a = operators_a(
            arrivals, handling, patience, target, threshold, occupancy, short_abandon_seconds
        )
    return StaffingNeed(
        erlang_c=need_c,
        erlang_a=need_a,
        offered_erlangs=arrivals * handling / inputs.SECONDS_PER_HOUR,
        service_level_c=level_c,
        service_level_a=level_a,
    )


def service_level(
    operators: int,
    arrivals_per_hour: float,
    handling_seconds: float,
    patience_seconds: float | None = None,
    threshold_seconds: float = NATIONAL.threshold_seconds,
    short_abandon_seconds: float = NATIONAL.short_abandon_seconds,
) -> float:
    """The share answered within the threshold: Erlang A when patience is given, else Erlang C."""
    count = inputs.operator_count(operators)
    arrivals = inputs.non_negative("arrivals_per_hour", arrivals_per_hour)
    handling = inputs.positive("handling_seconds", handling_seconds)
    patience = inputs.patience(patience_seconds)
    threshold = inputs.positive("threshold_seconds", threshold_seconds)
    if patience is None:
        return service_level_c(count, arrivals, handling, threshold)
    return service_level_a(count, arrivals, handling, patience, threshold, short_abandon_seconds)
