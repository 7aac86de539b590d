"""The terminal status of `pkc run`: simulated time, contacts so far, per-region share."""

from typing import Any
from zoneinfo import ZoneInfo

import httpx
from rich.console import Group
from rich.table import Table
from rich.text import Text

from pkc.platform import LocalPlatform
from pkc.simulation import BlockingTokenSource, SimulationStats
from pkc.simulation.signin import SignInRefused

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _get(url: str, reader: BlockingTokenSource | None) -> Any:
    """The JSON a read answers, signed in as `reader`; None when it did not answer it."""
    try:
        headers = reader.headers() if reader is not None else {}
        response = httpx.get(url, headers=headers, timeout=1.0)
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, SignInRefused, ValueError):
        return None


class LatestStats:
    """Keeps the simulator's latest progress report (called from the simulator's thread)."""

    def __init__(self) -> None:
        self.stats: SimulationStats | None = None

    def __call__(self, stats: SimulationStats) -> None:
        self.stats = stats


def render_status(
    platform: LocalPlatform, latest: LatestStats, reader: BlockingTokenSource | None = None
) -> Group:
    reporting, queueing = platform.url("reporting"), platform.url("queueing")
    now = platform.clock.now().astimezone(STOCKHOLM)
    stats = latest.stats
    head = Text(f"simulated time {now:%Y-%m-%d %H:%M} (Stockholm)")
    if stats is not None:
        head.append(
            f"   contacts {stats.posted}, answered {stats.answered}, "
            f"hung up {stats.abandoned}, operators {stats.operators_on_duty}"
        )
    table = Table(show_header=True, header_style="bold")
    for column in ("region", "share ≤10 min", "handled", "waiting", "operators", "state"):
        table.add_column(column)
    orders = _get(f"{queueing}/reinforcements", reader) or []
    reinforced = {o["region"] for o in orders}
    for region in _get(f"{reporting}/sla", reader) or []:
        window = region["window"]
        share = window["share"]
        # The volume the breach decision counts (and low volume is judged on): answers and
        # abandons, as in services/reporting/breach.py `handled`.
        handled = window["answered_within"] + window["answered_late"] + window["abandoned"]
        state = []
        if region.get("state") == "low_volume":
            state.append("[dim]low volume[/]")  # too few calls to judge: not a breach shown
        elif region["in_breach"]:
            state.append("[red]BREACH[/]")
        elif region["breach_predicted"]:
            state.append("[yellow]at risk[/]")
        if region["region"] in reinforced:
            state.append("[blue]reinforced[/]")
        table.add_row(
            region["region"],
            "–" if share is None else f"{share:.1%}",
            str(handled),
            str(region["waiting_calls"]),
            str(region["operators"]),
            " ".join(state) or "ok",
        )
    alerts = Text()
    for alert in platform.desk.webhook.recent(4):
        alerts.append(f"alert: {alert.get('summary', alert.get('kind', 'alert'))}\n", style="red")
    for mail in platform.desk.mailbox.recent(3):
        alerts.append(f"e-mail to {mail}\n", style="yellow")
    return Group(head, table, alerts)
