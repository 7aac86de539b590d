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

from pkc.report_tables import render
from services.reporting.monthly.chart import ChartFormat, chart
from services.reporting.monthly.labels import LANGS, Lang
from services.reporting.monthly.months import BadMonth, parse_month
from services.reporting.monthly.report import MonthlyReport
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
    lang: Annotated[
        str, typer.Option("--lang", help="sv (Swedish, the default) or en", case_sensitive=False)
    ] = "sv",
    database_url: Annotated[
        str | None, typer.Option(help="reporting's database (default: DATABASE_URL or .pkc/)")
    ] = None,
) -> None:
    """Per region and nationally: share answered within the service-level threshold, volumes,
    waits, e-service potential and reinforcement hours, beside the same month a year before;
    per channel (written channels against their own target) and need category; satisfaction
    per region and channel; the national trend of the last 12 months."""
    errors = Console(stderr=True)
    try:
        parse_month(month)
    except BadMonth as exc:
        errors.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if output.lower() not in ("table", "csv", "json"):
        errors.print(f"[red]--format must be table, csv or json, not {output!r}[/]")
        raise typer.Exit(2)
    if lang.lower() not in LANGS:
        errors.print(f"[red]--lang must be sv or en, not {lang!r}[/]")
        raise typer.Exit(2)
    language: Lang = "en" if lang.lower() == "en" else "sv"
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
    _print(report, output.lower(), language)  # type: ignore[arg-type]
    if chart_path is not None:
        kind: ChartFormat = "svg" if chart_path.suffix.lower() == ".svg" else "png"
        chart_path.write_bytes(chart(report, kind, language))
        errors.print(f"chart written to {chart_path}")


def _warn(report: MonthlyReport, errors: Console) -> None:
    counting = report.counting
    if counting is None or counting.caught_up:
        return
    for line in (counting.warning_sv, counting.warning_en):
        errors.print(f"[yellow]{line}[/]", highlight=False)


def _print(report: MonthlyReport, output: Output, lang: Lang) -> None:
    if output == "json":
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    elif output == "csv":
        sys.stdout.write(to_csv(report))
    else:
        Console().print(render(report, lang))
