"""`pkc staffing`: operators needed per region and hour for the service-level target.

The target, its threshold and the hours default to the service-level policy every service reads
(PKC_SLA_*). Imports of the maths happen inside the command: numpy would otherwise slow every
`pkc` command, `pkc serve` included.
"""

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from domain.staffing import defaults

if TYPE_CHECKING:
    from domain.service_level import ServiceLevelPolicy
    from domain.staffing.forecast import Forecast
    from domain.staffing.plan import Assumptions

staffing_cli = typer.Typer(
    help="Operators needed per region and hour (Erlang C and Erlang A), national totals, pooling.",
    # One command registered as a group (`pkc staffing`): let options follow the CSV argument.
    context_settings={"allow_interspersed_args": True},
)
console = Console()


@dataclass(frozen=True)
class _Shape:
    """How the forecast is read and which hours are staffed."""

    forecast: Path | None
    volume: float
    all_day: bool


# The options, one alias each (the command's signature then reads as its list of defaults).
ForecastFile = Annotated[
    Path | None,
    typer.Argument(
        help="CSV with region,hour,arrivals (calls per hour that reach an operator); default: "
        "the simulator's national forecast"
    ),
]
HandlingSeconds = Annotated[float, typer.Option(help="average handling time")]
PatienceSeconds = Annotated[float, typer.Option(help="callers' mean patience")]
NoPatience = Annotated[bool, typer.Option("--no-patience", help="Erlang C only")]
Target = Annotated[
    float | None,
    typer.Option(help="share answered within the threshold (default: PKC_SLA_TARGET)"),
]
ThresholdSeconds = Annotated[
    float | None, typer.Option(help="the threshold (default: PKC_SLA_THRESHOLD_SECONDS)")
]
MaxOccupancy = Annotated[float, typer.Option(help="cap on operators' busy share")]
Volume = Annotated[float, typer.Option(help="scale the forecast by this factor")]
AllDay = Annotated[bool, typer.Option("--all-day", help="staff all 24 hours, not PKC_SLA_HOURS")]
ShiftHours = Annotated[float, typer.Option(help="paid hours per shift")]
DaysPerWeek = Annotated[float, typer.Option(help="shifts per person and week")]
Shrinkage = Annotated[
    float, typer.Option(help="share of paid time off the phones (leave, training, breaks)")
]
ChartFile = Annotated[Path | None, typer.Option(help="write a chart to this path (.svg or .png)")]


@staffing_cli.callback(invoke_without_command=True)
def staffing(
    forecast: ForecastFile = None,
    handling_seconds: HandlingSeconds = defaults.HANDLING_SECONDS,
    patience_seconds: PatienceSeconds = defaults.PATIENCE_SECONDS,
    no_patience: NoPatience = False,
    target: Target = None,
    threshold_seconds: ThresholdSeconds = None,
    max_occupancy: MaxOccupancy = defaults.MAX_OCCUPANCY,
    volume: Volume = 1.0,
    all_day: AllDay = False,
    shift_hours: ShiftHours = defaults.SHIFT_HOURS,
    days_per_week: DaysPerWeek = defaults.DAYS_PER_WEEK,
    shrinkage: Shrinkage = defaults.SHRINKAGE,
    chart: ChartFile = None,
) -> None:
    """Operators needed for the target per region and hour, national totals against the seeds'
    "about 800 needed, about 300 missing", and what one national pool would save."""
    from domain.staffing.plan import Assumptions

    try:
        assumptions = Assumptions(
            handling_seconds=handling_seconds,
            patience_seconds=None if no_patience else patience_seconds,
            policy=_policy(target, threshold_seconds),
            max_occupancy=max_occupancy,
            shift_hours=shift_hours,
            days_per_week=days_per_week,
            shrinkage=shrinkage,
        )
    except ValueError as exc:
        _fail(exc)
    _run(assumptions, _Shape(forecast, volume, all_day), chart)


def _policy(target: float | None, threshold_seconds: float | None) -> "ServiceLevelPolicy":
    """The service-level policy from PKC_SLA_*, with the target or threshold given here."""
    from services.shared.settings import ServiceSettings

    policy = ServiceSettings().service_level()
    if target is not None:
        policy = replace(policy, target=target)
    if threshold_seconds is not None:
        policy = replace(policy, threshold_seconds=threshold_seconds)
    return policy


def _run(assumptions: "Assumptions", shape: _Shape, chart: Path | None) -> None:
    from domain.staffing.plan import plan
    from pkc.staffing.chart import chart_format, staffing_chart
    from pkc.staffing.report import print_plan, print_pooling

    try:
        output = chart_format(chart) if chart is not None else None
        source, arrivals = _forecast(shape.forecast)
        arrivals, hours_note = _shaped(arrivals, shape, assumptions.policy)
        with console.status("computing Erlang C and Erlang A for every region and hour…"):
            result = plan(arrivals, assumptions)
            # Pooling is also shown without the cap: at national size the cap, not queueing,
            # sets the number, and it would hide what pooling itself saves.
            uncapped = plan(arrivals, replace(assumptions, max_occupancy=1.0))
    except (ValueError, OSError) as exc:  # ForecastError is a ValueError
        _fail(exc)
    print_plan(console, result, source, hours_note)
    print_pooling(console, result, uncapped)
    if chart is not None and output is not None:
        chart.write_bytes(staffing_chart(result, output))
        console.print(f"chart written to {chart}")


def _fail(exc: Exception) -> "typer.Exit":
    typer.secho(str(exc), fg=typer.colors.RED, err=True)
    raise typer.Exit(1) from None


def _forecast(path: Path | None) -> "tuple[str, Forecast]":
    from domain.staffing.forecast import Forecast
    from pkc.simulation.traffic import TrafficModel
    from pkc.staffing.forecast_csv import parse_forecast

    if path is None:
        return "the simulator's national forecast", Forecast.of(TrafficModel().operator_forecast())
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    return str(path), parse_forecast(text, str(path))


def _shaped(
    forecast: "Forecast", shape: _Shape, policy: "ServiceLevelPolicy"
) -> "tuple[Forecast, str]":
    """The forecast scaled, and only the policy's hours unless all day; a note saying which."""
    from domain.staffing.forecast import HOURS, service_hours

    if shape.all_day:
        return forecast.shaped(shape.volume, HOURS), ""
    return forecast.shaped(shape.volume, service_hours(policy)), f" ({policy.hours} only)"
