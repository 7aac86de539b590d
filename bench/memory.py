"""Resident memory of the bench's services, read from /proc (Linux), against issue 20's goal.

A pod's memory limit applies to the peak of what its container is charged, not to what it holds
when a bench ends; each service's peak resident memory (the kernel's high-water mark, VmHWM) is
the nearest a process reads of itself. A worker that held 230 MiB while it caught up and 140
afterwards would have been killed on the way at a 150 MiB limit. The mark misses memory swapped
out, so it reads low under memory pressure, which the benches do not put the machine under."""

from pathlib import Path

from bench.results import Figure

MEMORY_GOAL_MIB = 150  # every service, resident (issue 20)


def resident_mib(pid: int, *, peak: bool = False) -> float:
    """The process's resident memory now (VmRSS), or at its peak since it started or since
    `reset_peak` (VmHWM)."""
    field = "VmHWM" if peak else "VmRSS"
    status = Path(f"/proc/{pid}/status").read_text()
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field))
    return kib / 1024


def reset_peak(pid: int) -> None:
    """Starts the process's peak afresh from what it holds now (Linux's clear_refs, 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_figure(benchmark: str, service: str, pid: int, note: str = "") -> Figure:
    """The service's resident memory at its peak so far, against the goal."""
    peak = resident_mib(pid, peak=True)
    return Figure(
        benchmark,
        f"{service} resident at its peak",
        peak,
        "MiB",
        goal=f"≤ {MEMORY_GOAL_MIB} MiB",
        met=peak <= MEMORY_GOAL_MIB,
        note=note,
    )
