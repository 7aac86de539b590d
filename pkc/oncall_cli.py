"""`pkc oncall`: who is on call, and checking a schedule file before it is deployed."""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from schemas import Region
from services.notify.schedule import (
    STOCKHOLM,
    Schedule,
    ScheduleError,
    load_schedule,
    next_handover,
)
from services.notify.settings import DEFAULT_SCHEDULE, NotifySettings
from services.shared.clock import SystemClock

oncall_cli = typer.Typer(help="The on-call schedule of notify: who is alerted, when.")
ScheduleFile = Annotated[Path, typer.Option("--file", help="a schedule file (YAML)")]
Live = Annotated[
    bool,
    typer.Option(
        "--live",
        help="the schedule notify uses now: the current version in its database "
        "(DATABASE_URL / PKC_STATE_DIR), not a file",
    ),
]


def _load(path: Path, live: bool = False) -> Schedule:
    try:
        if live:
            # Imported here: notify's root loads its HTTP and Kafka clients (see report_cli).
            from services.notify.bootstrap import open_schedules

            return open_schedules(NotifySettings(), SystemClock())[1].current()
        return load_schedule(path.read_text(encoding="utf-8"), str(path))
    except (OSError, ScheduleError) as exc:
        Console(stderr=True).print(f"[red]{exc}[/]", markup=True, highlight=False)
        raise typer.Exit(1) from None


@oncall_cli.command("show")
def show(
    region: Annotated[Region, typer.Option(help="the police region")],
    at: Annotated[
        str | None, typer.Option(help="ISO 8601 time; without offset: Stockholm time")
    ] = None,
    file: ScheduleFile = DEFAULT_SCHEDULE,
    live: Live = False,
) -> None:
    """Who is on call for REGION at a time (now by default), level by level."""
    schedule = _load(file, live)
    try:
        when = datetime.fromisoformat(at) if at else datetime.now(STOCKHOLM)
    except ValueError:
        Console(stderr=True).print(f"not an ISO 8601 time: {at!r}")
        raise typer.Exit(2) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=STOCKHOLM)
    local = when.astimezone(STOCKHOLM)
    table = Table(title=f"On call for {region.display_name}, {local:%a %Y-%m-%d %H:%M} Stockholm")
    for column in ("level", "person", "e-mail", "webhook", "until"):
        table.add_column(column)
    for on_call in schedule.chain(region, when):
        until = next_handover(schedule, region, on_call.level, when)
        table.add_row(
            str(on_call.level),
            on_call.person.name,
            on_call.person.email or "",
            "yes" if on_call.person.webhook else "",
            f"{until:%a %H:%M}" if until else "",
        )
    Console().print(table)
    if not schedule.chain(region, when):
        raise typer.Exit(3)  # nobody on call: a gap in the schedule


@oncall_cli.command("check")
def check(file: Annotated[Path, typer.Argument(help="a schedule file (YAML)")]) -> None:
    """Validates a schedule file, naming the entry of the first error."""
    _load(file)
    Console().print(f"{file}: valid")
