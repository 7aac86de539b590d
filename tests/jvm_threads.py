"""What a local server's JVM runs: its JIT compiler threads, by the names HotSpot gives them."""

from pathlib import Path

from bench.cpu import JIT_THREADS


def jit_compilers(pid: int) -> set[str]:
    """The names of the JIT compiler threads of JVM `pid`, or of the JVM its script started
    (Keycloak's kc.sh runs java as its child). A JVM starts and ends compiler threads as its
    work comes and goes: one that ends while it is read is passed over."""
    names = {_read(task / "comm") for process in (pid, *_children(pid)) for task in _tasks(process)}
    return {name for name in names if name.startswith(JIT_THREADS)}


def _children(pid: int) -> list[int]:
    return [int(child) for task in _tasks(pid) for child in _read(task / "children").split()]


def _tasks(pid: int) -> list[Path]:
    try:
        return list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []  # the process ended


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""  # the thread ended
