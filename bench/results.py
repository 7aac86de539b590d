"""One table of figures and goals, printed with rich and written as JSON under bench/results/."""

import json
import platform
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).with_name("results")


@dataclass
class Figure:
    benchmark: str
    measure: str
    value: float
    unit: str
    goal: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        Console().print(
            f"  {figure.benchmark}: {figure.measure} = {figure.value:,.1f} {figure.unit}"
        )

    def add_latencies(
        self, benchmark: str, measure: str, seconds: list[float], p99_goal_ms: int | None = 1000
    ) -> None:
        """p50, p95 and p99 of `seconds` in ms; the p99's goal, unless None."""
        cuts = statistics.quantiles(sorted(seconds), n=100)
        for name, value in (("p50", cuts[49]), ("p95", cuts[94]), ("p99", cuts[98])):
            goal = p99_goal_ms if name == "p99" else None
            self.add(
                Figure(
                    benchmark,
                    f"{measure} {name}",
                    value * 1000,
                    "ms",
                    goal=f"p99 ≤ {goal:,} ms" if goal is not None else "",
                    met=(value * 1000 <= goal) if goal is not None else None,
                )
            )

    def print(self) -> None:
        table = Table(title="PKC benchmarks")
        for column in ("benchmark", "measure", "value", "goal", "met", "note"):
            table.add_column(column, justify="right" if column == "value" else "left")
        for f in self.figures:
            met = "" if f.met is None else ("[green]yes[/]" if f.met else "[red]no[/]")
            table.add_row(f.benchmark, f.measure, f"{f.value:,.1f} {f.unit}", f.goal, met, f.note)
        Console().print(table)

    def write(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"bench-{stamp}.json"
        payload = {
            "at": stamp,
            "machine": {"python": platform.python_version(), "cpus": _cpus()},
            "figures": [asdict(f) for f in self.figures],
        }
        path.write_text(json.dumps(payload, indent=2))
        return path


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
