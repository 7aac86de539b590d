"""`pkc staffing`: operators needed per region and hour for 85 % within 10 minutes.

Imports of the maths happen inside the command: numpy and pyworkforce (which loads ortools and
pandas) would otherwise slow every `pkc` command, `pkc serve` included.
"""

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from services.shared.staffing.forecast import Forecast
    from services.shared.staffing.plan import Model, StaffingPlan

staffing_cli = typer.Typer(
    help="Operators needed per region and hour (Erlang C and Erlang A), national totals, pooling.",
    # One command registered as a group (`pkc staffing`): let options follow the CSV argument.
    context_settings={"allow_interspersed_args": True},
)
console = Console()

SERVICE_HOURS = range(7, 20)  # 07:00-20:00: the target's hours and queueing's opening hours


@staffing_cli.callback(invoke_without_command=True)
def staffing(
    forecast: Annotated[
        Path | None,
        typer.Argument(
            help="CSV with region,hour,arrivals (calls per hour that reach an "
            "operator); default: the simulator's national forecast"
        ),
    ] = None,
    handling_seconds: Annotated[float, typer.Option(help="average handling time")] = 600.0,
    patience_seconds: Annotated[float, typer.Option(help="callers' mean patience")] = 900.0,
    no_patience: Annotated[bool, typer.Option("--no-patience", help="Erlang C only")] = False,
    target: Annotated[float, typer.Option(help="share answered within the threshold")] = 0.85,
    threshold_seconds: Annotated[float, typer.Option(help="the threshold")] = 600.0,
    max_occupancy: Annotated[float, typer.Option(help="cap on operators' busy share")] = 0.85,
    volume: Annotated[float, typer.Option(help="scale the forecast by this factor")] = 1.0,
    all_day: Annotated[
        bool, typer.Option("--all-day", help="staff all 24 hours, not only 07-20")
    ] = False,
    shift_hours: Annotated[float, typer.Option(help="paid hours per shift")] = 8.0,
    days_per_week: Annotated[float, typer.Option(help="shifts per person and week")] = 5.0,
    shrinkage: Annotated[
        float, typer.Option(help="share of paid time off the phones (leave, training, breaks)")
    ] = 0.35,
    chart: Annotated[Path | None, typer.Option(help="write an SVG chart to this path")] = None,
) -> None:
    """Operators needed for the target per region and hour, national totals against the seeds'
    "about 800 needed, about 300 missing", and what one national pool would save."""
    from services.shared.staffing.forecast import ForecastError, parse_forecast
    from services.shared.staffing.plan import Assumptions, plan

    try:
        assumptions = Assumptions(
            handling_seconds=handling_seconds,
            patience_seconds=None if no_patience else patience_seconds,
            target=target,
            threshold_seconds=threshold_seconds,
            max_occupancy=max_occupancy,
            shift_hours=shift_hours,
            days_per_week=days_per_week,
            shrinkage=shrinkage,
        )
        if volume <= 0:
            raise ValueError(f"volume must be greater than zero, got {volume!r}")
        if forecast is None:
            source, arrivals = "the simulator's national forecast", _default_forecast()
        else:
            source, arrivals = str(forecast), parse_forecast(_read(forecast), str(forecast))
        arrivals = _shape(arrivals, volume, all_day)
        with console.status("computing Erlang C and Erlang A for every region and hour…"):
            result = plan(arrivals, assumptions)
            # Pooling is also shown without the cap: at national size the cap, not queueing,
            # sets the number, and it would hide what pooling itself saves.
            uncapped = plan(arrivals, replace(assumptions, max_occupancy=1.0))
    except (ForecastError, ValueError, OSError) as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    _print(result, source, all_day)
    _print_pooling(result, uncapped)
    if chart is not None:
        chart.write_text(_chart(result), encoding="utf-8")
        console.print(f"chart written to {chart}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None


def _default_forecast() -> "Forecast":
    from pkc.simulation.traffic import TrafficModel
    from services.shared.staffing.forecast import Forecast

    return Forecast.of(TrafficModel().operator_forecast())


def _shape(forecast: "Forecast", volume: float, all_day: bool) -> "Forecast":
    from services.shared.staffing.forecast import Forecast

    def kept(hour: int, value: float) -> float:
        return value * volume if all_day or hour in SERVICE_HOURS else 0.0

    return Forecast(
        {
            r: tuple(kept(h, v) for h, v in enumerate(hours))
            for r, hours in forecast.arrivals.items()
        }
    )


def _both(c: int, a: int | None) -> str:
    return f"{c}" if a is None else f"{c}/{a}"


def _print(result: "StaffingPlan", source: str, all_day: bool) -> None:
    from services.shared.staffing.plan import SEED_MISSING, SEED_NEEDED, Model

    a = result.assumptions
    models = result.models
    has_a = Model.ERLANG_A in models
    console.print(
        f"[bold]Forecast[/]: {source}: {result.forecast.per_day():,.0f} calls a day reach an "
        f"operator{'' if all_day else ' (07:00-20:00 only)'}.\n"
        f"[bold]Target[/]: {a.target:.0%} answered within {a.threshold_seconds:.0f} s; handling "
        f"{a.handling_seconds:.0f} s; "
        + (f"patience {a.patience_seconds:.0f} s; " if a.patience_seconds else "")
        + f"occupancy at most {a.max_occupancy:.0%}. Cells: Erlang C"
        + (" / Erlang A" if has_a else "")
        + " operators."
    )
    table = Table(title="Operators needed per region and hour")
    table.add_column("hour", justify="right")
    table.add_column("calls/h", justify="right")
    regions = list(result.regions)
    for region in regions:
        table.add_column(region.display_name, justify="right")
    table.add_column("Σ regions", justify="right", style="bold")
    table.add_column("one pool", justify="right")
    separate = {m: result.separate(m) for m in models}
    pooled = {m: result.pooled(m) for m in models}
    national = result.forecast.national()
    for hour in range(24):
        if national[hour] == 0:
            continue
        cells = [
            _both(r[hour].erlang_c, r[hour].erlang_a)
            for r in (result.regions[region] for region in regions)
        ]
        table.add_row(
            f"{hour:02d}",
            f"{national[hour]:.0f}",
            *cells,
            _both(
                separate[Model.ERLANG_C][hour],
                separate[Model.ERLANG_A][hour] if has_a else None,
            ),
            _both(
                pooled[Model.ERLANG_C][hour],
                pooled[Model.ERLANG_A][hour] if has_a else None,
            ),
        )
    console.print(table)

    totals = Table(
        title="National totals against the seeds (seed 001: about 800 needed, 300 missing)"
    )
    totals.add_column("")
    for model in models:
        totals.add_column("Erlang C" if model == Model.ERLANG_C else "Erlang A", justify="right")
    peaks = [result.peak(m) for m in models]
    totals.add_row("peak-hour sum of regions", *(f"{n} at {h:02d}:00" for h, n in peaks))
    totals.add_row("operator-hours per day", *(f"{result.operator_hours(m):,}" for m in models))
    heads = [result.headcount(m) for m in models]
    totals.add_row("people needed (headcount)", *(f"{h:,.0f}" for h in heads))
    totals.add_row("seed: needed", *(f"{SEED_NEEDED}" for _ in models))
    totals.add_row("model − seed", *(f"{h - SEED_NEEDED:+,.0f}" for h in heads))
    in_post = SEED_NEEDED - SEED_MISSING
    totals.add_row(
        f"seed: in post (800 − 300 = {in_post})", *(f"covers {in_post / h:.0%}" for h in heads)
    )
    console.print(totals)
    console.print(
        f"Headcount = operator-hours per day × 7 / ({a.days_per_week:g} shifts a week × "
        f"{a.shift_hours:g} h × (1 − {a.shrinkage:.0%} shrinkage)); the seed counts people, the "
        "models count operators on the phones at once. Change --shift-hours, --days-per-week, "
        "--shrinkage to test other assumptions."
    )


def _print_pooling(result: "StaffingPlan", uncapped: "StaffingPlan") -> None:
    from services.shared.staffing.plan import Model

    models = result.models
    pooling = Table(title="Pooling: one national pool instead of seven regional queues")
    pooling.add_column("")
    for model in models:
        pooling.add_column("Erlang C" if model == Model.ERLANG_C else "Erlang A", justify="right")
    cap = f"{result.assumptions.max_occupancy:.0%} occupancy cap"
    for label, figures in ((f"with the {cap}", result), ("without a cap", uncapped)):
        pooling.add_row(
            f"{label}: peak hour, seven regions", *(f"{max(figures.separate(m))}" for m in models)
        )
        pooling.add_row(
            f"{label}: peak hour, one pool", *(f"{max(figures.pooled(m))}" for m in models)
        )
        pooling.add_row(
            f"{label}: operator-hours a day saved",
            *(_saved(figures, m) for m in models),
        )
    console.print(pooling)
    abandons = (
        "Erlang A's pool even carries more calls (fewer hang up) and so asks for more under the "
        "cap. "
        if Model.ERLANG_A in models
        else ""
    )
    console.print(
        "At this size the occupancy cap, not waiting, sets the number of operators, so pooling "
        f"saves little under a cap; {abandons}Without a cap pooling saves what the queues "
        "themselves would: that is the case for reinforcement between regions."
    )


def _saved(figures: "StaffingPlan", model: "Model") -> str:
    separate, pooled = figures.operator_hours(model), figures.pooled_operator_hours(model)
    people = figures.assumptions.headcount(separate - pooled)
    return f"{separate - pooled:,} ({1 - pooled / max(1, separate):.0%}, {people:,.0f} people)"


def _chart(result: "StaffingPlan") -> str:
    from services.shared.staffing.chart import stacked_hours
    from services.shared.staffing.plan import Model, count

    model: Model = result.models[-1]  # Erlang A when patience is known
    name = "Erlang A" if model == Model.ERLANG_A else "Erlang C"
    bars = {
        region.display_name: [float(count(need, model)) for need in hours]
        for region, hours in result.regions.items()
    }
    lines = {
        "one national pool": [float(n) for n in result.pooled(model)],
        "Erlang C, Σ regions" if model == Model.ERLANG_A else "": [
            float(n) for n in result.separate(Model.ERLANG_C)
        ],
    }
    if model != Model.ERLANG_A:
        lines.pop("")
    a = result.assumptions
    title = (
        f"Operators needed for {a.target:.0%} within {a.threshold_seconds / 60:g} min "
        f"({name}), per region"
    )
    return stacked_hours(title, "operators on the phones", bars, lines)
