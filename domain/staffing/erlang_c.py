"""Erlang C (M/M/n, callers wait for ever): the probability of waiting from Erlang B's recursion,
and the share answered within the threshold from it, as pyworkforce's `ErlangC` computes them.

pyworkforce was what computed this until issue 20. Its module costs the service that imports it
68 MiB resident (joblib, and the package's scheduling and rostering parts: ortools and pandas)
for these few lines, so the formula is ours now and pyworkforce is the yardstick in the tests
(tests/unit/test_staffing_erlang.py compares the two over a grid of inputs). Its
`required_positions` starts its search at round(traffic + 1), one above the answer when the
traffic's fraction is ≥ 0.5 and the threshold is long against the handling time (600 s against
a few minutes: exactly PKC's case); so the search was always ours.
"""

import math

from domain.staffing import inputs

_EPSILON = 1e-9  # traffic / occupancy that lands on a whole number must not round up past it


def _service_level(
    operators: int, traffic: float, handling_seconds: float, threshold: float
) -> float:
    """1 - C(n, A)·e^(-(n - A)·T / AHT), for n > A. Erlang B by its recursion, which neither
    overflows nor loses precision at hundreds of operators: B(0) = 1, B(k) = A·B(k-1) /
    (k + A·B(k-1)); then C = n·B / (n - A·(1 - B))."""
    blocking = 1.0
    for servers in range(1, operators + 1):
        blocking = traffic * blocking / (servers + traffic * blocking)
    waiting = operators * blocking / (operators - traffic * (1.0 - blocking))
    return 1.0 - waiting * math.exp(-(operators - traffic) * threshold / handling_seconds)


def service_level_c(
    operators: int, arrivals_per_hour: float, handling_seconds: float, threshold_seconds: float
) -> float:
    """The share answered within the threshold; 0 when operators cannot carry the traffic."""
    if arrivals_per_hour == 0:
        return 1.0
    traffic = arrivals_per_hour * handling_seconds / inputs.SECONDS_PER_HOUR
    if operators <= traffic:
        return 0.0  # the queue grows without bound (the formula is not valid there)
    level = _service_level(operators, traffic, handling_seconds, threshold_seconds)
    return min(1.0, max(0.0, level))


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

    def level_with(operators: int) -> float:
        return max(0.0, _service_level(operators, traffic, handling_seconds, threshold_seconds))

    operators = math.floor(traffic) + 1
    level = level_with(operators)
    while level < target:
        operators += 1
        level = level_with(operators)
    capped = math.ceil(traffic / max_occupancy - _EPSILON)
    if capped > operators:
        operators, level = capped, level_with(capped)
    return operators, min(1.0, level)
