"""The monthly report over HTTP: JSON or CSV, and the year-over-year chart as PNG or SVG."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.reporting.monthly import written_threshold_seconds
from services.reporting.monthly.chart import MEDIA_TYPES, ChartFormat, chart
from services.reporting.monthly.labels import Lang
from services.reporting.monthly.months import MONTH_PATTERN
from services.reporting.monthly.query import monthly_report
from services.reporting.monthly.report import MonthlyReport
from services.reporting.monthly.tabular import to_csv
from services.reporting.service import Policy, Service, Store
from services.shared.http import caller
from services.shared.identity import Role
from services.shared.kafka.lag import Lag, LagProbe

Month = Annotated[
    str, Query(pattern=MONTH_PATTERN, description="the Stockholm calendar month, YYYY-MM")
]
# The monthly follow-up is for those who lead and those who audit.
router = APIRouter(
    prefix="/reports/monthly",
    tags=["monthly follow-up"],
    dependencies=[caller(Role.SUPERVISOR, Role.AUDITOR)],
)


async def monthly_lag(request: Request) -> Lag:
    """The monthly consumer's lag against the store, measured for this report: a cached one
    could call a report complete that events published a moment ago are missing from (reports
    are asked for rarely, and cost more than the measurement)."""
    probe: LagProbe = request.app.state.monthly_lag
    return await probe.measure()


MonthlyLag = Annotated[Lag, Depends(monthly_lag)]


# Plain `def` routes: the store is synchronous, so FastAPI runs them in its thread pool, off
# the event loop.
@router.get(
    "",
    response_model=MonthlyReport,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON or CSV"}},
)
def monthly(
    month: Month,
    store: Store,
    policy: Policy,
    service: Service,
    lag: MonthlyLag,
    response: Response,
    output: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Response | MonthlyReport:
    """Per region and nationally: the month's figures beside the same month a year before,
    judged by the service-level policy (its target, threshold and hours are in the report),
    and whether every event is counted yet (`counting`; header `PKC-Not-Counted` too, for
    the CSV, whose columns stay those of the figures)."""
    written = written_threshold_seconds(service.core.settings)
    report = monthly_report(store, month, policy, lag, written)
    not_counted = _not_counted(report)
    if output == "csv":
        return Response(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="pkc-{month}.csv"',
                "PKC-Not-Counted": not_counted,
            },
        )
    response.headers["PKC-Not-Counted"] = not_counted
    return report


def _not_counted(report: MonthlyReport) -> str:
    counted = report.counting
    if counted is None or counted.not_counted is None:
        return "unknown"
    return str(counted.not_counted)


@router.get(
    "/chart.{output}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def monthly_chart(
    month: Month,
    output: ChartFormat,
    store: Store,
    policy: Policy,
    service: Service,
    lang: Annotated[Lang, Query(description="sv (the default) or en")] = "sv",
) -> Response:
    """Share answered within the policy's threshold per region, this month against a year
    before, with the target as a line, and the national trend of 12 months: chart.png or
    chart.svg, labelled in Swedish (`lang=en`: English)."""
    written = written_threshold_seconds(service.core.settings)
    drawn = chart(monthly_report(store, month, policy, None, written), output, lang)
    return Response(drawn, media_type=MEDIA_TYPES[output])
