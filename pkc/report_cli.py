"""`pkc report monthly`: the monthly follow-up per region, read from reporting's store.

The figures are those of the reporting service's GET /reports/monthly (the same store, the same
code): run it where reporting's database is (DATABASE_URL, or the SQLite file under
PKC_STATE_DIR).
"""

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from services.reporting.monthly.chart import ChartFormat, chart
from services.reporting.monthly.months import BadMonth, month_label, parse_month
from services.reporting.monthly.report import Comparison, MonthlyReport
from services.reporting.monthly.tabular import to_csv

report_cli = typer.Typer(help="Reports of the reporting service: the monthly follow-up.")
Output = Literal["table", "csv", "json"]


@report_cli.command("monthly")
def monthly(
    month: Annotated[str, typer.Option(help="the Stockholm calendar month, YYYY-MM")],
    output: Annotated[
        str, typer.Option("--format", help="table, csv or json", case_sensitive=False)
    ] = "table",
    chart_path: Annotated[
        Path | None,
        typer.Option("--chart", help="also write the year-over-year chart (.png or .svg)"),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="reporting's database (default: DATABASE_URL or .pkc/)")
    ] = None,
) -> None:
    """Per region and nationally: share answered within the service-level threshold, volumes,
    waits, e-service potential and reinforcement hours, beside the same month a year before."""
    errors = Console(stderr=True)
    try:
        parse_month(month)
    except BadMonth as exc:
        errors.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if output.lower() not in ("table", "csv", "json"):
        errors.print(f"[red]--format must be table, csv or json, not {output!r}[/]")
        raise typer.Exit(2)
    if chart_path is not None and chart_path.suffix.lower() not in (".png", ".svg"):
        errors.print(f"[red]--chart must name a .png or .svg file, not {chart_path}[/]")
        raise typer.Exit(2)
    # Imported here: reporting's root loads Faust, which `pkc serve` of any service must not pay.
    from services.reporting.bootstrap import monthly_reader

    reader = monthly_reader(database_url=database_url)
    # Measured once (the broker asked where the topics end): a report read while counting is
    # behind, or with the broker out of reach, says so on stderr whatever the format.
    report = reader.report(month, asyncio.run(reader.lag.measure()))
    if reader.store.processed() == 0:
        errors.print("[yellow]no events counted in this store yet[/]")
    _warn(report, errors)
    _print(report, output.lower())  # type: ignore[arg-type]
    if chart_path is not None:
        kind: ChartFormat = "svg" if chart_path.suffix.lower() == ".svg" else "png"
        chart_path.write_bytes(chart(report, kind))
        errors.print(f"chart written to {chart_path}")


def _warn(report: MonthlyReport, errors: Console) -> None:
    counting = report.counting
    if counting is None or counting.caught_up:
        return
    for line in (counting.warning_sv, counting.warning_en):
        errors.print(f"[yellow]{line}[/]", highlight=False)


def _print(report: MonthlyReport, output: Output) -> None:
    if output == "json":
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    elif output == "csv":
        sys.stdout.write(to_csv(report))
    else:
        Console().print(_table(report))


def _table(report: MonthlyReport) -> Table:
    now, then = month_label(report.month), month_label(report.compared_with)
    table = Table(
        title=f"Answered within {report.threshold_seconds / 60:g} minutes ({report.hours}): "
        f"{now} vs {then}",
        caption=f"target {report.target * 100:g} %; waits of answered calls; "
        "e-service: phone contacts an e-service could have taken",
    )
    for column in (
        "region",
        then,
        now,
        "change (pp)",
        "offered",
        "answered",
        "abandoned",
        "mean wait",
        "p90 wait",
        "contacts",
        "e-service",
        "reinf. h given",
        "reinf. h received",
    ):
        table.add_column(column, justify="left" if column == "region" else "right")
    for comparison in report.regions:
        table.add_row(*_cells(comparison, report.target))
    table.add_section()
    table.add_row(*_cells(report.national, report.target), style="bold")
    return table


def _cells(comparison: Comparison, target: float) -> list[str]:
    now, then = comparison.this_month, comparison.year_before
    share = _percent(now.share)
    if now.share is not None and now.share < target:
        share = f"[red]{share}[/]"
    change = comparison.share_change_points
    return [
        comparison.name,
        _percent(then.share if then else None),
        share,
        "–" if change is None else f"{change:+.1f}",
        f"{now.offered:,}",
        f"{now.answered:,}",
        f"{now.abandoned:,}",
        _seconds(now.mean_wait_seconds),
        _seconds(now.p90_wait_seconds),
        f"{now.contacts:,}",
        _percent(now.e_service_potential),
        f"{now.reinforcement_hours_given:,.1f}",
        f"{now.reinforcement_hours_received:,.1f}",
    ]


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}:{seconds:02d}"
