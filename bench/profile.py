"""`python -m bench profile` (on demand, not in `make bench`): where each service's CPU goes while
the pipeline of `make bench` runs (issue 20: measure first, attack the largest costs first).

The platform is started as `bench system` starts it and warmed with 1,000 contacts; then py-spy
samples every service process (100 Hz; pausing it for each sample, as py-spy's --nonblocking
counted idle thread-pool workers as running) while 10,000 contacts go by
`POST /contacts` to reporting's windows. Only the thread holding the GIL is sampled (--gil):
without it a thread waiting on PostgreSQL inside psycopg, which lets go of the GIL, counted as
running, so the database calls looked twice as costly as they are (intake: SQLAlchemy's own
code 48.7 % of the samples, 25.2 % with --gil; queueing's queue-state read held 13 % of its
samples, yet reading it 8 times less often left queueing's CPU per contact at 1.4 ms).

Per service it prints the share of samples spent in each library's own code (the innermost
frame's package), the share under each library (anywhere on the stack), and the functions with
the most samples of their own, beside each process's CPU per contact (the broker's and the load
generator's too). The collapsed stacks are kept under bench/results/ for flamegraph.pl or
speedscope."""

import asyncio
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import system
from bench.cpu import processes_cpu
from bench.results import RESULTS, Figure, Report

SAMPLES_PER_SECOND = 100
WARM_UP = 1000
TOP = 12
# On every stack of a thread that runs at all: their share under them says nothing.
FRAMES_OF_EVERY_STACK = {"<module>", "runpy", "threading", "asyncio", "concurrent", "pkc/cli"}
# Where a thread waits, though py-spy counts it running: a thread-pool worker waiting for work,
# uvloop's loop (its C code, in which it waits for events, shows as Runner.run), and asyncio's
# own loop (Faust's) in its selector. Dropped.
WAITS = {
    "_worker (concurrent/futures/thread.py)",
    "Runner.run (asyncio/runners.py)",
    "EpollSelector.select (selectors.py)",
}


@dataclass(frozen=True)
class Profile:
    """One process's collapsed stacks: each a tuple of frames, outermost first, and its count."""

    stacks: Counter[tuple[str, ...]]

    @classmethod
    def parse(cls, lines: Iterable[str]) -> "Profile":
        """py-spy's raw format: `frame;frame;… count`, a frame being `function (file:line)`."""
        stacks: Counter[tuple[str, ...]] = Counter()
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = tuple(stack.split(";"))
            if stack and function(frames[-1]) not in WAITS:
                stacks[frames] += int(count)
        return cls(stacks)

    @property
    def samples(self) -> int:
        return sum(self.stacks.values())

    def own(self) -> Counter[str]:
        """Samples per library of the innermost frame: the code that was running."""
        return self._tally(lambda stack: {library(stack[-1])})

    def under(self) -> Counter[str]:
        """Samples per library anywhere on the stack, each counted once per sample."""
        return self._tally(lambda stack: set(map(library, stack)) - FRAMES_OF_EVERY_STACK)

    def functions(self) -> Counter[str]:
        """Samples per innermost function (its file, not its line)."""
        return self._tally(lambda stack: {function(stack[-1])})

    def _tally(self, keys: Callable[[tuple[str, ...]], set[str]]) -> Counter[str]:
        tally: Counter[str] = Counter()
        for stack, count in self.stacks.items():
            for key in keys(stack):
                tally[key] += count
        return tally


def function(frame: str) -> str:
    """`handle (services/intake/api.py:57)` → `handle (services/intake/api.py)`."""
    name, _, where = frame.rpartition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if name else frame


def library(frame: str) -> str:
    """The package a frame's file belongs to: `sqlalchemy`, `asyncio`, or the project's own
    packages by service (`services/intake`, `services/shared`, `pkc`, `schemas`)."""
    _, _, where = frame.rpartition(" (")
    if not where:
        return frame
    parts = where.rsplit(":", 1)[0].split("/")
    if parts[0] == "services" and len(parts) > 2:
        return "/".join(parts[:2])
    if parts[0] == "pkc" and len(parts) > 2 and parts[1] == "cli":
        return "pkc/cli"
    return parts[0].removesuffix(".py")


def run(report: Report, workdir: Path, postgres_url: str | None, bootstrap: str) -> None:
    folder = RESULTS / f"profile-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    folder.mkdir(parents=True)
    with system._platform(workdir, bootstrap) as platform:
        intake = system._intake(platform)
        asyncio.run(system._pipeline_throughput(platform.services, intake, platform.clock, WARM_UP))
        pids = {name: s.process.pid for name, s in platform.services.items() if s.process}
        processes = system.processes_of(platform.services, workdir, bootstrap)
        before = processes_cpu(processes)
        with _sampling(pids, folder):
            rate = asyncio.run(
                system._pipeline_throughput(platform.services, intake, platform.clock)
            )
        after = processes_cpu(processes)
    report.add(
        Figure(
            "profile",
            "POST /contacts → reporting window, sampled",
            rate,
            "contacts/s",
            note=f"py-spy at {SAMPLES_PER_SECOND} Hz on every service; stacks in {folder}",
        )
    )
    # py-spy's sampling costs every process CPU: no goal for these figures.
    system.report_cpu(report, before, after, system.PIPELINE_CONTACTS, "sampled", goal_ms=None)
    for name in pids:
        profile = Profile.parse((folder / f"{name}.txt").read_text().splitlines())
        _print(name, profile)
        for package, samples in profile.own().most_common(3):
            share = samples / max(1, profile.samples) * 100
            report.add(Figure("profile", f"{name}: own code of {package}", share, "% samples"))


@contextmanager
def _sampling(pids: dict[str, int], folder: Path) -> Iterator[None]:
    """py-spy recording each process into folder/<name>.txt until the block ends."""
    spy = Path(sys.executable).with_name("py-spy")
    recorders = [
        subprocess.Popen(
            [
                *(spy, "record", "--pid", str(pid), "--format", "raw", "--gil"),
                *("--rate", str(SAMPLES_PER_SECOND), "--output", str(folder / f"{name}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]
    try:
        yield
    finally:
        for recorder in recorders:  # an interrupted py-spy writes what it sampled
            recorder.send_signal(signal.SIGINT)
        for recorder in recorders:
            recorder.wait(timeout=60)


def _print(name: str, profile: Profile) -> None:
    total = max(1, profile.samples)
    table = Table(title=f"{name}: {profile.samples:,} samples holding the GIL")
    for column in ("own code of", "%", "under", "% ", "function", "%  "):
        table.add_column(column, justify="right" if column.startswith("%") else "left")
    own, under = profile.own().most_common(TOP), profile.under().most_common(TOP)
    functions = profile.functions().most_common(TOP)
    for row in range(TOP):
        cells: list[str] = []
        for ranked in (own, under, functions):
            key, samples = ranked[row] if row < len(ranked) else ("", 0)
            cells += [key, f"{samples / total * 100:.1f}" if key else ""]
        table.add_row(*cells)
    Console(width=200).print(table)
