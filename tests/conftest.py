"""Session fixtures: one real Kafka broker for the whole test session.

Set KAFKA_BOOTSTRAP_SERVERS to test against an existing cluster instead.
"""

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pkc.kafka_admin import create_topics, wait_for_cluster
from pkc.localkafka import LocalKafka
from pkc.paths import cache_dir
from schemas.topics import all_topics


def free_port(pairs: int = 1) -> int:
    """A port p where p .. p+pairs-1 are all free on the loopback interface."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
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


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap address of a real broker with every registry topic created."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker = None
    if external:
        bootstrap = external
    else:
        broker = LocalKafka(tmp_path_factory.mktemp("kafka"), cache_dir(), port=free_port(2))
        broker.start()
        bootstrap = broker.bootstrap
    asyncio.run(wait_for_cluster(bootstrap, 60))
    asyncio.run(create_topics(bootstrap, all_topics()))
    yield bootstrap
    if broker is not None:
        broker.stop()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path
