"""The monthly report: per region (and nationally) this month's figures beside the same month a
year before, like the table in docs/domain.md. Built from stored counters by pure functions."""

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field

from domain.service_level import ServiceLevelPolicy
from schemas import Channel, NeedCategory, Region
from services.reporting.monthly.aggregation import (
    CONTACTS,
    E_SERVICE_CAPABLE,
    ROUTE,
    SL,
    WAIT,
    WAIT_MS,
    WRITTEN_THRESHOLD_SECONDS,
)
from services.reporting.monthly.breakdown import (
    Level,
    Satisfaction,
    category_levels,
    cell_sum,
    channel_levels,
    satisfaction,
    satisfaction_by_channel,
)
from services.reporting.monthly.counting import Counting
from services.reporting.monthly.figures import (
    OrderSpan,
    ReinforcementHours,
    change_points,
    mean_seconds,
    percentile,
    ratio,
    reinforcement_hours,
    service_share,
)
from services.reporting.monthly.months import month_bounds, year_before
from services.reporting.monthly.trend import TrendPoint, summed, trend
from services.reporting.window import MAIN

Cells = Mapping[tuple[str, str], int]  # (metric, key) -> value of one region and month
NATIONAL = "national"


class Figures(BaseModel):
    """One region's month. Service-level figures count the policy's channels (phone) offered
    within its service hours (the report's `hours`)."""

    share: float | None = Field(
        description="answered within the threshold / (answered + abandoned after the short limit)"
    )
    offered: int
    answered: int
    answered_within: int
    abandoned: int = Field(description="every abandon in scope, short ones included")
    abandoned_short: int = Field(description="hung up within the policy's short-abandon limit")
    mean_wait_seconds: float | None = Field(description="of answered calls")
    p90_wait_seconds: float | None = Field(description="of answered calls, within 10 s")
    contacts: int = Field(description="every contact received, any channel and hour")
    by_channel: dict[str, int]
    by_category: dict[str, int]
    phone_contacts: int
    e_service_capable: int = Field(description="phone contacts an e-service could have taken")
    e_service_potential: float | None = Field(description="e_service_capable / phone_contacts")
    routed_to_e_service: int
    redirected_112: int
    outside_hours: int = Field(description="contacts queued outside service hours, any channel")
    reinforcement_hours_given: float
    reinforcement_hours_received: float
    channels: dict[str, Level] = Field(description="volume and service level per channel")
    categories: dict[str, Level] = Field(description="per need category, counted channels")
    satisfaction: Satisfaction = Field(description="the citizens' ratings, every channel")
    satisfaction_by_channel: dict[str, Satisfaction]


class Comparison(BaseModel):
    region: str = Field(description="the region's slug, or 'national'")
    name: str
    this_month: Figures
    year_before: Figures | None = Field(description="None when nothing was recorded then")
    share_change_points: float | None
    meets_target: bool | None


class MonthlyReport(BaseModel):
    month: str
    compared_with: str
    # The service-level policy the figures were counted and judged by.
    target: float = Field(description="share answered within the threshold to meet")
    threshold_seconds: float = Field(description="an answer within this wait is in time")
    hours: str = Field(description="the service hours counted, Stockholm time")
    written_threshold_seconds: float = Field(
        default=WRITTEN_THRESHOLD_SECONDS,
        description="a written contact (mail, e-service, social media) handled within this is "
        "in time; counted at any hour",
    )
    regions: list[Comparison]
    national: Comparison
    counting: Counting | None = Field(
        default=None, description="whether every event is counted yet; None: not asked"
    )
    trend: list[TrendPoint] = Field(
        default_factory=list, description="nationally, the twelve months ending with this one"
    )


def build_report(
    month: str,
    counts: Mapping[str, Mapping[str, Cells]],
    orders: Iterable[OrderSpan],
    policy: ServiceLevelPolicy,
    written_threshold_seconds: float = WRITTEN_THRESHOLD_SECONDS,
) -> MonthlyReport:
    """`counts`: month -> region -> cells, for `month`, the month a year before and the
    eleven before it (the trend; months missing count as empty)."""
    before = year_before(month)
    thresholds = (policy.threshold_seconds, written_threshold_seconds)
    spans = list(orders)
    hours = {m: reinforcement_hours(spans, *month_bounds(m)) for m in (month, before)}
    now, then = counts.get(month, {}), counts.get(before, {})
    target = policy.target
    regions = [
        _compare(
            region.value,
            region.display_name,
            _figures(now.get(region.value), hours[month], region.value, thresholds),
            _recorded(then.get(region.value), hours[before], region.value, thresholds),
            target,
        )
        for region in Region
    ]
    national = _compare(
        NATIONAL,
        "Sweden",
        _figures(summed(now.values()), hours[month], None, thresholds),
        _recorded(summed(then.values()), hours[before], None, thresholds),
        target,
    )
    return MonthlyReport(
        month=month,
        compared_with=before,
        target=target,
        threshold_seconds=policy.threshold_seconds,
        hours=policy.hours,
        written_threshold_seconds=written_threshold_seconds,
        regions=regions,
        national=national,
        trend=trend(counts, month),
    )


def _compare(
    region: str, name: str, now: Figures, then: Figures | None, target: float
) -> Comparison:
    return Comparison(
        region=region,
        name=name,
        this_month=now,
        year_before=then,
        share_change_points=_rounded(change_points(now.share, then.share if then else None)),
        meets_target=None if now.share is None else now.share >= target,
    )


def _recorded(
    cells: Cells | None,
    hours: ReinforcementHours,
    region: str | None,
    thresholds: tuple[float, float],
) -> Figures | None:
    """The figures, or None when nothing at all was recorded for the region that month."""
    given, received = _hours(hours, region)
    if not cells and not given and not received:
        return None
    return _figures(cells, hours, region, thresholds)


def _hours(hours: ReinforcementHours, region: str | None) -> tuple[float, float]:
    """`region` None: national, where hours given and received are both the total lent."""
    if region is None:
        return sum(hours.given.values()), sum(hours.received.values())
    return hours.given.get(region, 0.0), hours.received.get(region, 0.0)


def _figures(
    cells: Cells | None,
    hours: ReinforcementHours,
    region: str | None,
    thresholds: tuple[float, float],
) -> Figures:
    """`thresholds`: the calls' and the written channels' (seconds)."""
    given, received = _hours(hours, region)
    cells = cells or {}

    def sl(name: str) -> int:
        return cells.get((SL + MAIN, name), 0)

    histogram = {int(key): n for (metric, key), n in cells.items() if metric == WAIT}
    contacts = {key: n for (metric, key), n in cells.items() if metric == CONTACTS}
    capable = {key: n for (metric, key), n in cells.items() if metric == E_SERVICE_CAPABLE}
    by_channel = {c.value: cell_sum(contacts, channel=c.value) for c in Channel}
    phone_capable = cell_sum(capable, channel=Channel.PHONE.value)
    answered_within, answered_late = sl("answered_within"), sl("answered_late")
    short, within, late = sl("abandoned_short"), sl("abandoned_within"), sl("abandoned_late")
    return Figures(
        share=service_share(answered_within, answered_late, within, late),
        offered=sl("offered"),
        answered=answered_within + answered_late,
        answered_within=answered_within,
        abandoned=short + within + late,
        abandoned_short=short,
        mean_wait_seconds=_rounded(
            mean_seconds(cells.get((WAIT_MS, "sum"), 0), sum(histogram.values()))
        ),
        p90_wait_seconds=_rounded(percentile(histogram, 0.9)),
        contacts=sum(contacts.values()),
        by_channel=by_channel,
        by_category={c.value: cell_sum(contacts, category=c.value) for c in NeedCategory},
        phone_contacts=by_channel[Channel.PHONE.value],
        e_service_capable=phone_capable,
        e_service_potential=ratio(phone_capable, by_channel[Channel.PHONE.value]),
        routed_to_e_service=cells.get((ROUTE, "e_service"), 0),
        redirected_112=sl("redirected_112"),
        outside_hours=sl("outside_hours"),
        # Rounded: sums of floats in another order must still give the same report.
        reinforcement_hours_given=round(given, 3),
        reinforcement_hours_received=round(received, 3),
        channels=channel_levels(cells, *thresholds),
        categories=category_levels(cells, thresholds[0]),
        satisfaction=satisfaction(cells),
        satisfaction_by_channel=satisfaction_by_channel(cells),
    )


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
