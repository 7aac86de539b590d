"""CPU time of the bench's processes, read from /proc (Linux) and getrusage: one reader for
every bench."""

import os
import resource
from collections.abc import Mapping
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
    return _seconds(fields[11 : 15 if reaped_children else 13])  # utime, stime, cutime, cstime


def processes_cpu(processes: Mapping[str, int]) -> dict[str, float]:
    """`process_cpu` of each named process: a reading to subtract from a later one."""
    return {name: process_cpu(pid) for name, pid in processes.items()}


def cpu_between(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds each process of `before` used until `after` (two `processes_cpu` readings)."""
    return {name: after[name] - seconds for name, seconds in before.items()}


def _seconds(ticks: list[str]) -> float:
    """CPU seconds from /proc stat's clock ticks."""
    return sum(int(tick) for tick in ticks) / os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int | str, task: str = "") -> list[str] | None:
    """/proc/PID/stat's fields after the command name (field 3 onwards), or those of one of
    its threads (`task`); None: no such process or thread."""
    path = f"/proc/{pid}/task/{task}/stat" if task else f"/proc/{pid}/stat"
    try:
        return Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


# A JVM's JIT compiler threads: HotSpot names them "C2 CompilerThread0" and so on, of which
# Linux keeps the first 15 characters (/proc/PID/task/TID/comm).
JIT_THREADS = ("C1 CompilerThre", "C2 CompilerThre")


def jit_threads(pid: int) -> dict[str, str]:
    """The JIT compiler threads JVM `pid` runs now, thread id → name (none once it ended).
    HotSpot starts and ends them as its queue of work grows and shrinks: one that ends while
    it is read is passed over."""
    threads: dict[str, str] = {}
    for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
        try:
            name = comm.read_text().strip()
        except OSError:
            continue  # the thread ended meanwhile
        if name.startswith(JIT_THREADS):
            threads[comm.parent.name] = name
    return threads


def jit_cpu(pid: int | None) -> dict[str, float]:
    """user + system CPU seconds of each JIT compiler thread of a JVM (by thread id; none for
    no process): a broker's compiling, apart from its serving. `jit_cpu_between` counts what
    the threads alive at the end did: a thread ended meanwhile goes uncounted."""
    if pid is None:
        return {}
    stats = {thread: stat_fields(pid, thread) for thread in jit_threads(pid)}
    return {thread: _seconds(fields[11:13]) for thread, fields in stats.items() if fields}


def jit_cpu_between(before: dict[str, float], after: dict[str, float]) -> float:
    """CPU seconds the JIT compiler threads alive at `after` spent since `before`."""
    return sum(seconds - before.get(thread, 0.0) for thread, seconds in after.items())


def own_cpu() -> float:
    """user + system CPU seconds of this process, every thread of it."""
    return _rusage_seconds(resource.RUSAGE_SELF)


def children_cpu() -> float:
    """user + system CPU seconds of this process's children that have ended and been waited
    for (a `pkc replay` the bench ran)."""
    return _rusage_seconds(resource.RUSAGE_CHILDREN)


def _rusage_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime
