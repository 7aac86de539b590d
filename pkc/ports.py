"""Free loopback ports for the processes a local platform, the tests and the bench start."""

import socket


def free_port(pairs: int = 1) -> int:
    """A port p where p .. p+pairs-1 are all free on the loopback interface (a broker takes
    two: its client port and its controller's)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port + pairs >= 65535:
            continue
        if all(_is_free(port + i) for i in range(pairs)):
            return port
    raise RuntimeError("no free port pair found")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
