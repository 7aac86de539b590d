"""Start-up of the command line: `pkc --help` in a fresh process, as a person runs it (the
console script of the venv), median of a few runs, wall clock and the CPU the process used."""

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.results import Figure, Report

GOAL_MS = 500.0
RUNS = 7


def _command() -> list[str]:
    script = Path(sys.executable).with_name("pkc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pkc.cli"]


def _once(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one `pkc --help`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(
        [*command, "--help"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    command = _command()
    _once(command)  # the first run compiles the byte code and fills the page cache
    runs = [_once(command) for _ in range(RUNS)]
    wall = statistics.median(w for w, _ in runs) * 1000
    cpu = statistics.median(c for _, c in runs) * 1000
    report.add(
        Figure(
            "startup",
            f"`pkc --help` in a new process (median of {RUNS})",
            wall,
            "ms",
            goal=f"≤ {GOAL_MS:,.0f} ms",
            met=wall <= GOAL_MS,
            note=f"CPU {cpu:,.0f} ms (user + system); wall time grows with the machine's load",
        )
    )
