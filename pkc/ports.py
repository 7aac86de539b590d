"""Free loopback ports for the processes a local platform, the tests and the bench start.

Ports are drawn below the kernel's ephemeral range (where outgoing connections get their local
ports): a port the OS hands out for `bind(0)` is in that range, and between the probe and the
service's own bind a Kafka client's connection could take it (seen in CI: a service that could
not bind its port while a health check reached another process on it)."""

import os
import random
import socket
from pathlib import Path

LOWEST = 20_000  # above the well-known and registered ports our services and tools use


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def drawn_from() -> tuple[int, int]:
    """The range ports are drawn from, [low, high): `PKC_PORT_RANGE` ("low-high") when set.
    Two processes that start servers side by side (`make test`'s two pytest processes) each
    get a range of their own: the same port drawn by both, and bound by one just before the
    other's server started, was seen in CI."""
    given = os.environ.get("PKC_PORT_RANGE")
    if not given:
        return LOWEST, _ephemeral_start()
    try:
        low, high = (int(part) for part in given.split("-"))
    except ValueError:
        raise ValueError(
            f"PKC_PORT_RANGE must be two port numbers, 'low-high'; got {given!r}"
        ) from None
    if not 1024 <= low < high <= 65535:
        raise ValueError(
            f"PKC_PORT_RANGE must lie within 1024-65535, low below high; got {given!r}"
        )
    return low, high


# Every port this process has handed out. A port is free until its server binds it, so two
# draws made before either server starts (a platform draws its five services' ports at once)
# could both get it, and the second server fails to bind: seen in CI, notify's replica in
# tests/fault/test_replicas.py. A port is therefore handed out once per process.
_handed_out: set[int] = set()


def free_port(pairs: int = 1) -> int:
    """A port p where p .. p+pairs-1 are all free on the loopback interface (a broker takes
    two: its client port and its controller's) and none was handed out before."""
    lowest, highest = drawn_from()
    highest -= pairs
    for _ in range(200):
        if highest > lowest:
            port = random.randrange(lowest, highest)  # noqa: S311  a port, not a secret
        else:  # an unusual ephemeral range: let the OS choose
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
        wanted = range(port, port + pairs)
        if port + pairs < 65535 and all(p not in _handed_out and _is_free(p) for p in wanted):
            _handed_out.update(wanted)
            return port
    raise RuntimeError("no free port pair found")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
