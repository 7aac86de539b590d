"""The monthly figures as pure functions: the share formula, waits from a histogram, change
against a year before, and reinforcement hours clipped to a month.

Waits are kept as a histogram of 10-second buckets up to two hours plus one overflow bucket,
and an exact sum in milliseconds: the mean is exact, the 90th percentile within one bucket,
and a month of a million waits is at most 721 numbers per region.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

BUCKET_SECONDS = 10
BUCKETS = 720  # two hours of 10-second buckets
OVERFLOW = BUCKETS  # the bucket of every wait of two hours or more


def bucket_of(wait_seconds: float) -> int:
    return min(int(wait_seconds // BUCKET_SECONDS), OVERFLOW)


def wait_ms(wait_seconds: float) -> int:
    """Integer milliseconds: sums are exact and the same in any order of addition."""
    return round(wait_seconds * 1000)


def percentile(histogram: Mapping[int, int], q: float = 0.9) -> float | None:
    """The nearest-rank q-quantile, placed within its bucket by its rank there; None if empty.

    The exact value lies in the same 10-second bucket, so the error is below 10 s. Waits in
    the overflow bucket are reported as its lower bound (two hours).
    """
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if count and seen + count >= rank:
            if bucket >= OVERFLOW:
                return float(OVERFLOW * BUCKET_SECONDS)
            return BUCKET_SECONDS * (bucket + (rank - seen - 0.5) / count)
        seen += count
    raise AssertionError("unreachable: rank is at most the total")


def mean_seconds(sum_ms: int, count: int) -> float | None:
    return sum_ms / count / 1000 if count else None


def service_share(
    answered_within: int, answered_late: int, abandoned_within: int, abandoned_late: int
) -> float | None:
    """Answered within the threshold / (answered + abandoned after the short-abandon limit), as
    in the rolling window; short abandons are in neither part (they are not given to us)."""
    handled = answered_within + answered_late + abandoned_within + abandoned_late
    return answered_within / handled if handled else None


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def change_points(now: float | None, before: float | None) -> float | None:
    """The change of a share in percentage points; None when either side is missing."""
    if now is None or before is None:
        return None
    return (now - before) * 100


@dataclass(frozen=True)
class OrderSpan:
    """A reinforcement order as far as it is known: the start and the donors come with the
    order, the end with its end event or else its `until`."""

    region: str
    donors: tuple[tuple[str, int], ...]
    started: datetime
    until: datetime
    ended: datetime | None = None

    @property
    def end(self) -> datetime:
        return min(self.until, self.ended) if self.ended is not None else self.until


@dataclass
class ReinforcementHours:
    given: dict[str, float] = field(default_factory=dict)  # by donor region
    received: dict[str, float] = field(default_factory=dict)  # by reinforced region


def reinforcement_hours(
    orders: Iterable[OrderSpan], start: datetime, end: datetime
) -> ReinforcementHours:
    """Operator hours lent within [start, end): an order's duration inside the period times the
    operators of each donor. An order still open counts until its `until`."""
    hours = ReinforcementHours()
    for order in orders:
        overlap = (min(order.end, end) - max(order.started, start)).total_seconds() / 3600
        if overlap <= 0:
            continue
        for donor, operators in order.donors:
            lent = overlap * operators
            hours.given[donor] = hours.given.get(donor, 0.0) + lent
            hours.received[order.region] = hours.received.get(order.region, 0.0) + lent
    return hours
