"""Session fixtures: one real Kafka broker, one PostgreSQL server and one OIDC provider
(Keycloak) for the whole test session, started the way `pkc run` and the bench start them
(pkc/platform.py, pkc/localpostgres.py, pkc/localoidc).

Set KAFKA_BOOTSTRAP_SERVERS (PKC_TEST_POSTGRES_URL) to test against an existing cluster (server);
PKC_TEST_OIDC_START_SECONDS to give Keycloak longer than 180 s to start on a loaded machine.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy

from pkc.localoidc import LocalOidc
from pkc.localpostgres import private_postgres
from pkc.paths import cache_dir
from pkc.platform import kafka_with_topics
from pkc.ports import free_port
from tests.identities import Identities


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap address of a real broker with every registry topic created."""
    with kafka_with_topics(tmp_path_factory.mktemp("kafka")) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalOidc]:
    """One real OIDC provider (Keycloak from Maven Central, realm pkc) for the session."""
    provider = LocalOidc(tmp_path_factory.mktemp("oidc"), cache_dir(), port=free_port())
    # A loaded machine may take Keycloak longer than the default 180 s to start.
    provider.start(timeout=float(os.environ.get("PKC_TEST_OIDC_START_SECONDS", "180")))
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def identities(oidc: LocalOidc) -> Identities:
    """People and adapters signing in to the session's provider (tests/identities.py)."""
    return Identities(oidc)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    with private_postgres(free_port()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database test runs twice: on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def postgres_url(postgres_server: str | None) -> Iterator[str]:
    """A new, empty PostgreSQL database, for tests of PostgreSQL's behaviour alone."""
    if postgres_server is None:
        pytest.skip("no PostgreSQL on this machine (CI installs it; or set PKC_TEST_POSTGRES_URL)")
    with fresh_database(postgres_server) as url:
        yield url


@contextmanager
def fresh_database(postgres_server: str, prefix: str = "t") -> Iterator[str]:
    """The URL of a new, empty database on the server, dropped on the way out."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
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
