"""The monthly figures as pure functions: the share formula, p90 from the wait histogram, the
change against a year before, reinforcement hours clipped to a month."""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from services.reporting.monthly.figures import (
    BUCKET_SECONDS,
    OVERFLOW,
    OrderSpan,
    bucket_of,
    change_points,
    mean_seconds,
    percentile,
    reinforcement_hours,
    service_share,
    wait_ms,
)
from services.reporting.monthly.months import month_bounds


def test_share_is_answered_within_over_answered_and_abandoned_after_the_short_threshold() -> None:
    # 80 answered within 600 s, 10 later, 6 hung up within 600 s, 4 later (short ones are not
    # passed in: they are in neither part).
    assert service_share(80, 10, 6, 4) == pytest.approx(0.80)
    assert service_share(0, 0, 0, 0) is None


def _exact_p90(waits: list[float]) -> float:
    ordered = sorted(waits)
    return ordered[max(1, math.ceil(0.9 * len(ordered))) - 1]


@pytest.mark.parametrize("seed", range(5))
def test_p90_from_the_histogram_is_within_one_bucket_of_the_exact_value(seed: int) -> None:
    rng = random.Random(seed)
    waits = [round(rng.expovariate(1 / rng.choice((120.0, 400.0, 900.0))), 3) for _ in range(5000)]
    histogram: dict[int, int] = {}
    for wait in waits:
        histogram[bucket_of(wait)] = histogram.get(bucket_of(wait), 0) + 1
    exact = _exact_p90(waits)
    estimate = percentile(histogram, 0.9)
    assert estimate is not None
    assert abs(estimate - exact) < BUCKET_SECONDS
    assert bucket_of(estimate) == bucket_of(exact)


def test_p90_edge_cases() -> None:
    assert percentile({}) is None
    assert percentile({3: 1}) == pytest.approx(35.0)  # one wait: the middle of its bucket
    # Most waits past two hours: reported as the overflow bucket's lower bound.
    assert percentile({0: 1, OVERFLOW: 9}) == OVERFLOW * BUCKET_SECONDS
    assert bucket_of(10**6) == OVERFLOW


def test_mean_is_exact_from_integer_milliseconds() -> None:
    waits = [0.1, 0.2, 599.999, 600.0, 12.345]
    total = sum(wait_ms(w) for w in waits)
    assert mean_seconds(total, len(waits)) == pytest.approx(sum(waits) / len(waits), abs=1e-9)
    assert mean_seconds(0, 0) is None


def test_change_against_a_year_before_in_percentage_points() -> None:
    # Bergslagen, May 2023 -> May 2024 (docs/domain.md): 63.3 % -> 85.4 %.
    assert change_points(0.854, 0.633) == pytest.approx(22.1)
    assert change_points(0.854, None) is None
    assert change_points(None, 0.5) is None


def _order(
    region: str,
    donors: tuple[tuple[str, int], ...],
    start: datetime,
    hours: float,
    ended_after: float | None = None,
) -> OrderSpan:
    ended = None if ended_after is None else start + timedelta(hours=ended_after)
    return OrderSpan(region, donors, start, start + timedelta(hours=hours), ended)


def test_reinforcement_hours_given_and_received_are_clipped_to_the_month() -> None:
    start, end = month_bounds("2024-05")
    orders = [
        # Two hours, ended after one: 1 h x (3 + 2) operators.
        _order("stockholm", (("syd", 3), ("ost", 2)), start + timedelta(days=3), 2, 1),
        # Four hours from 23:00 on the last evening: one hour inside May.
        _order("nord", (("mitt", 2),), end - timedelta(hours=1), 4),
        # Entirely in April: not counted.
        _order("vast", (("ost", 5),), start - timedelta(hours=10), 2),
    ]
    hours = reinforcement_hours(orders, start, end)
    assert hours.given == {"syd": 3.0, "ost": 2.0, "mitt": 2.0}
    assert hours.received == {"stockholm": 5.0, "nord": 2.0}
    june = reinforcement_hours(orders, *month_bounds("2024-06"))
    assert june.given == {"mitt": 6.0}
    assert june.received == {"nord": 6.0}


def test_an_order_ended_after_its_until_counts_until_its_until() -> None:
    at = datetime(2024, 5, 6, 8, tzinfo=UTC)
    order = _order("syd", (("ost", 1),), at, 1, ended_after=3)
    assert reinforcement_hours([order], *month_bounds("2024-05")).given == {"ost": 1.0}
