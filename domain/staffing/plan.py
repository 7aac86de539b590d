"""A day's staffing plan from a forecast: per region and hour, national totals, pooling.

How the seeds' "about 800 operators needed, about 300 missing" (seed 001) is compared: the
seed counts people employed, the models count operators on the phones at once. Operators
needed in each hour, summed over the day, give operator-hours; people needed are those hours
over a week divided by what one person gives the phones in a week:
    headcount = operator-hours per day × 7 / (days worked per week × shift hours × (1 - shrinkage))
where shrinkage is the share of paid time off the phones (leave, sickness, training, breaks,
meetings). The peak-hour sum of regional needs is shown too: the most positions that must be
manned at once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from domain.service_level import NATIONAL, ServiceLevelPolicy
from domain.staffing import defaults, inputs
from domain.staffing.forecast import HOURS, Forecast
from domain.staffing.need import StaffingNeed, operators_needed
from schemas import Region

SEED_NEEDED = 800  # operators needed nationally (seed 001)
SEED_MISSING = 300  # … of which missing (seed 001)


class Model(StrEnum):
    ERLANG_C = "erlang_c"
    ERLANG_A = "erlang_a"


@dataclass(frozen=True)
class Assumptions:
    handling_seconds: float = defaults.HANDLING_SECONDS
    patience_seconds: float | None = defaults.PATIENCE_SECONDS
    policy: ServiceLevelPolicy = NATIONAL  # the target, its threshold, the short-abandon limit
    max_occupancy: float = defaults.MAX_OCCUPANCY
    shift_hours: float = defaults.SHIFT_HOURS
    days_per_week: float = defaults.DAYS_PER_WEEK
    shrinkage: float = defaults.SHRINKAGE

    def __post_init__(self) -> None:
        inputs.positive("shift_hours", self.shift_hours)
        if not 0 < self.days_per_week <= 7:
            raise ValueError(f"days_per_week must be in (0, 7], got {self.days_per_week!r}")
        if not 0 <= self.shrinkage < 1:
            raise ValueError(f"shrinkage must be in [0, 1), got {self.shrinkage!r}")

    def need(self, arrivals_per_hour: float) -> StaffingNeed:
        return operators_needed(
            arrivals_per_hour,
            self.handling_seconds,
            self.patience_seconds,
            self.policy.target,
            self.policy.threshold_seconds,
            self.max_occupancy,
            self.policy.short_abandon_seconds,
        )

    def headcount(self, operator_hours_per_day: float) -> float:
        weekly = self.days_per_week * self.shift_hours * (1.0 - self.shrinkage)
        return operator_hours_per_day * 7.0 / weekly


def count(need: StaffingNeed, model: Model) -> int:
    if model == Model.ERLANG_A and need.erlang_a is not None:
        return need.erlang_a
    return need.erlang_c


@dataclass(frozen=True)
class StaffingPlan:
    forecast: Forecast
    assumptions: Assumptions
    regions: dict[Region, tuple[StaffingNeed, ...]]  # per region, 24 hours
    pool: tuple[StaffingNeed, ...]  # one national pool, 24 hours

    @property
    def models(self) -> tuple[Model, ...]:
        if self.assumptions.patience_seconds is None:
            return (Model.ERLANG_C,)
        return (Model.ERLANG_C, Model.ERLANG_A)

    def separate(self, model: Model) -> tuple[int, ...]:
        """Per hour, the national sum of the regions' separate needs."""
        return tuple(sum(count(hours[h], model) for hours in self.regions.values()) for h in HOURS)

    def pooled(self, model: Model) -> tuple[int, ...]:
        return tuple(count(need, model) for need in self.pool)

    def peak(self, model: Model) -> tuple[int, int]:
        """(hour, operators) where the sum of regional needs is largest."""
        totals = self.separate(model)
        hour = max(HOURS, key=lambda h: totals[h])
        return hour, totals[hour]

    def operator_hours(self, model: Model) -> int:
        return sum(self.separate(model))

    def pooled_operator_hours(self, model: Model) -> int:
        return sum(self.pooled(model))

    def headcount(self, model: Model) -> float:
        return self.assumptions.headcount(self.operator_hours(model))


def plan(
    forecast: Forecast,
    assumptions: Assumptions,
    on_progress: Callable[[], None] | None = None,
) -> StaffingPlan:
    """Needs for every region and hour and for one national pool."""
    regions: dict[Region, tuple[StaffingNeed, ...]] = {}
    for region, hours in forecast.arrivals.items():
        regions[region] = tuple(assumptions.need(arrivals) for arrivals in hours)
        if on_progress is not None:
            on_progress()
    pool = tuple(assumptions.need(arrivals) for arrivals in forecast.national())
    return StaffingPlan(forecast, assumptions, regions, pool)
