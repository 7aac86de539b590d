"""What a local server's JVM runs: its JIT compiler threads (bench/cpu.py reads them)."""

from pathlib import Path

from bench.cpu import jit_threads


def jit_compilers(pid: int) -> set[str]:
    """The names of the JIT compiler threads of JVM `pid`, or of the JVM its script started
    (Keycloak's kc.sh runs java as its child)."""
    return {name for process in (pid, *_children(pid)) for name in jit_threads(process).values()}


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in children.read_text().split()]
        except OSError:
            continue  # the thread ended meanwhile
    return found
