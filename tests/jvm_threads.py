"""What a local server's JVM runs: its JIT compiler threads, by the names HotSpot gives them."""

from pathlib import Path

from bench.cpu import JIT_THREADS


def jit_compilers(pid: int) -> set[str]:
    """The names of the JIT compiler threads of JVM `pid`, or of the JVM its script started
    (Keycloak's kc.sh runs java as its child)."""
    names: set[str] = set()
    for process in (pid, *_children(pid)):
        for task in Path(f"/proc/{process}/task").iterdir():
            name = task.joinpath("comm").read_text().strip()
            if name.startswith(JIT_THREADS):
                names.add(name)
    return names


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task.joinpath("children").read_text().split()
        found += [int(child) for child in children]
    return found
