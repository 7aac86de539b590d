"""CPU time of the bench's processes, read from /proc (Linux) and getrusage: one reader for
every bench."""

import os
import resource
from pathlib import Path


def process_cpu(pid: int | None, *, reaped_children: bool = False, gone_ok: bool = False) -> float:
    """user + system CPU seconds of a process, from /proc (Linux); with `reaped_children`, also
    those of its children that have ended and been waited for. 0.0 for no process (None: one
    the bench did not start, an external broker). A process gone raises, unless `gone_ok`: a
    service that died mid-run must stop the bench, not lower its figures."""
    if pid is None:
        return 0.0
    fields = stat_fields(pid)
    if fields is None:
        if gone_ok:
            return 0.0
        raise ProcessLookupError(f"process {pid} has ended: its CPU time cannot be read")
    ticks = fields[11 : 15 if reaped_children else 13]  # utime, stime, cutime, cstime
    return sum(int(tick) for tick in ticks) / os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (field 3 onwards); None: no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
