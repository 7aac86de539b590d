"""Session fixtures: one real Kafka broker for the whole test session.

Set KAFKA_BOOTSTRAP_SERVERS to test against an existing cluster instead.
"""

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy

from pkc.localkafka import LocalKafka
from pkc.paths import cache_dir
from schemas.topics import all_topics
from services.shared.kafka_admin import create_topics, wait_for_cluster
from tests.postgres import private_postgres


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


@contextmanager
def private_broker(directory: Path) -> Iterator[LocalKafka]:
    """A broker of one's own, with every registry topic created, stopped on the way out."""
    broker = LocalKafka(directory, cache_dir(), port=free_port(2))
    broker.start()
    try:
        asyncio.run(wait_for_cluster(broker.bootstrap, 60))
        asyncio.run(create_topics(broker.bootstrap, all_topics()))
        yield broker
    finally:
        broker.stop()


@contextmanager
def broker_or_external(directory: Path) -> Iterator[str]:
    """The bootstrap address of KAFKA_BOOTSTRAP_SERVERS if set, else of a private broker."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        asyncio.run(wait_for_cluster(external, 60))
        asyncio.run(create_topics(external, all_topics()))
        yield external
        return
    with private_broker(directory) as broker:
        yield broker.bootstrap


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap address of a real broker with every registry topic created."""
    with broker_or_external(tmp_path_factory.mktemp("kafka")) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    with private_postgres(free_port()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> Iterator[str]:
    """Each database test runs twice: on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if postgres_server is None:
        pytest.skip("no PostgreSQL on this machine (CI installs it; or set PKC_TEST_POSTGRES_URL)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(
        postgres_server.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path
