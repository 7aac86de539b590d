"""Reading a month's report from the store: the month, the same month a year before, and the
reinforcement orders that overlap either."""

from domain.service_level import ServiceLevelPolicy
from services.reporting.monthly.aggregation import WRITTEN_THRESHOLD_SECONDS
from services.reporting.monthly.counting import counting
from services.reporting.monthly.months import month_bounds, year_before
from services.reporting.monthly.report import MonthlyReport, build_report
from services.reporting.monthly.store import MonthlyStore
from services.reporting.monthly.trend import trend_months
from services.shared.kafka.lag import Lag


def monthly_report(
    store: MonthlyStore,
    month: str,
    policy: ServiceLevelPolicy,
    lag: Lag | None = None,
    written_threshold_seconds: float = WRITTEN_THRESHOLD_SECONDS,
) -> MonthlyReport:
    """`lag`: the monthly consumer's against this store; the report then says whether every
    event is counted (monthly/counting.py)."""
    before = year_before(month)
    counts = store.counts(sorted({before, *trend_months(month)}))
    start, _ = month_bounds(before)
    _, end = month_bounds(month)
    orders = store.orders(start, end)
    report = build_report(month, counts, orders, policy, written_threshold_seconds)
    return report if lag is None else report.model_copy(update={"counting": counting(lag)})
