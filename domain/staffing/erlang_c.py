"""Erlang C (M/M/n, callers wait for ever) through pyworkforce's ErlangC.

pyworkforce counts in minutes and per interval; here everything is seconds and calls per hour.
Its `required_positions` starts its search at round(traffic + 1), one above the answer when the
traffic's fraction is ≥ 0.5 and the threshold is long against the handling time (600 s against a
few minutes: exactly PKC's case); so the search is ours, the formula is pyworkforce's.
"""

import math
from typing import Any

from domain.staffing import inputs

_EPSILON = 1e-9  # traffic / occupancy that lands on a whole number must not round up past it


def _model(arrivals_per_hour: float, handling_seconds: float, threshold_seconds: float) -> Any:
    # Imported here: pyworkforce loads ortools and pandas (about half a second), which every
    # `pkc` command and service start would otherwise pay for.
    from pyworkforce.queuing import ErlangC

    return ErlangC(
        transactions=arrivals_per_hour,
        aht=handling_seconds / 60.0,
        asa=threshold_seconds / 60.0,
        interval=60,
    )


def service_level_c(
    operators: int, arrivals_per_hour: float, handling_seconds: float, threshold_seconds: float
) -> float:
    """The share answered within the threshold; 0 when operators cannot carry the traffic."""
    if arrivals_per_hour == 0:
        return 1.0
    traffic = arrivals_per_hour * handling_seconds / inputs.SECONDS_PER_HOUR
    if operators <= traffic:
        return 0.0  # the queue grows without bound (pyworkforce's formula is not valid there)
    model = _model(arrivals_per_hour, handling_seconds, threshold_seconds)
    return min(1.0, max(0.0, float(model.service_level(operators))))


def operators_c(
    arrivals_per_hour: float,
    handling_seconds: float,
    target: float,
    threshold_seconds: float,
    max_occupancy: float,
) -> tuple[int, float]:
    """The fewest operators that reach `target` with occupancy ≤ `max_occupancy`, and the
    service level they give."""
    if arrivals_per_hour == 0:
        return 0, 1.0
    traffic = arrivals_per_hour * handling_seconds / inputs.SECONDS_PER_HOUR
    model = _model(arrivals_per_hour, handling_seconds, threshold_seconds)
    operators = math.floor(traffic) + 1
    level = float(model.service_level(operators))
    while level < target:
        operators += 1
        level = float(model.service_level(operators))
    capped = math.ceil(traffic / max_occupancy - _EPSILON)
    if capped > operators:
        operators, level = capped, float(model.service_level(capped))
    return operators, min(1.0, level)
