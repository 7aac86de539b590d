"""Starting the platform on this machine, the one way `pkc run`, the tests and the bench do it:
Kafka with every registry topic, an alert desk for notify, and the five services as processes,
waited on until every one is ready."""

import asyncio
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pkc.alert_desk import AlertDesk, alert_desk
from pkc.issuer import Issuer, oidc_issuer
from pkc.localkafka import KafkaAccess, LocalKafka, external_access
from pkc.paths import cache_dir
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from pkc.simulation import clock_from_env
from schemas.access import SERVICES
from schemas.topics import all_topics
from services.shared.clock import Clock
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity
from services.shared.kafka_admin import create_topics, wait_for_cluster


def _with_topics(bootstrap: str, admin: KafkaSecurity = PLAINTEXT) -> None:
    asyncio.run(wait_for_cluster(bootstrap, 60, admin))
    asyncio.run(create_topics(bootstrap, all_topics(), security=admin))


@contextmanager
def local_broker(
    directory: Path, port: int | None = None, heap: str = "1g", secured: bool = False
) -> Iterator[LocalKafka]:
    """A broker of one's own in `directory` (on a free port pair unless given), with every
    registry topic created, stopped on the way out. `secured`: one SCRAM principal per
    service, each allowed only its ACLs (schemas/access.py)."""
    broker = LocalKafka(
        directory, cache_dir(), port=port or free_port(2), heap=heap, secured=secured
    )
    broker.start()
    try:
        _with_topics(broker.bootstrap, broker.admin)
        yield broker
    finally:
        broker.stop()


@contextmanager
def kafka_access(
    directory: Path, port: int | None = None, secured: bool = True
) -> Iterator[KafkaAccess]:
    """KAFKA_BOOTSTRAP_SERVERS if set (signed in as the PKC_KAFKA_* variables say), else a
    `local_broker`, secured unless asked otherwise; every registry topic exists either way."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        access = external_access(external)
        _with_topics(external, access.admin)
        yield access
        return
    with local_broker(directory, port, secured=secured) as broker:
        yield broker.access()


@contextmanager
def kafka_with_topics(directory: Path, port: int | None = None) -> Iterator[str]:
    """The bootstrap address of an open (PLAINTEXT) `kafka_access`: for tests and benchmarks
    whose clients do not sign in."""
    with kafka_access(directory, port, secured=False) as access:
        yield access.bootstrap


@dataclass(frozen=True)
class PlatformSetup:
    """What one local platform does differently; the rest is the services' own defaults."""

    bootstrap: str
    state_dir: Path  # SQLite files, Faust tables, and the services' logs under logs/
    clock_start: datetime | None = None  # None: every service on the wall clock
    speed: float = 1.0  # simulated seconds per real second
    settings: Mapping[str, str] = field(default_factory=dict)  # further PKC_* variables
    ports: Mapping[str, int] | None = None  # None: free ports
    names: tuple[str, ...] = SERVICES  # a part of the platform, for a test of that part
    # Variables for one service only (by name): its own Kafka principal, say.
    service_env: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The issuer the services verify tokens with; None: PKC_OIDC_ISSUER (settings, then the
    # environment) if set, else a local Keycloak started with the services (pkc/issuer.py).
    issuer: Issuer | None = None
    # Processes per service. Replicas share the broker and the database (so more than one
    # needs DATABASE_URL: SQLite files are one process's) and each keeps its own state
    # directory (Faust's tables, logs), as pods do.
    replicas: int = 1

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ValueError("replicas must be at least 1")
        if self.replicas > 1 and "DATABASE_URL" not in self.settings:
            raise ValueError(
                "replicas share one database: set DATABASE_URL (pkc run starts a local "
                "PostgreSQL for --replicas)"
            )

    def replica_env(self, replica: int) -> dict[str, str]:
        """What replica `replica` (1, 2, …) is told besides the platform's env."""
        if replica == 1:
            return {}
        return {"PKC_STATE_DIR": str(self.state_dir / "replicas" / str(replica))}

    def env(self, desk: AlertDesk, anchor: float) -> dict[str, str]:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "PKC_STATE_DIR": str(self.state_dir),
            **desk.notify_env(),
        }
        if self.clock_start is not None or self.speed != 1.0:
            # One anchor for every process: each would otherwise start a clock of its own.
            env |= {"PKC_CLOCK_SPEED": str(self.speed), "PKC_CLOCK_ANCHOR": str(anchor)}
            if self.clock_start is not None:
                env["PKC_CLOCK_START"] = self.clock_start.isoformat()
        return env | dict(self.settings)


@dataclass(frozen=True)
class LocalPlatform:
    services: dict[str, ServiceProcess]  # the first replica of each service
    desk: AlertDesk
    clock: Clock  # the services' simulated clock, read from the same settings
    issuer: Issuer  # whose tokens the services accept
    # Every replica of each service, the first one included (`services` holds it too).
    replicas: dict[str, list[ServiceProcess]] = field(default_factory=dict, kw_only=True)

    def url(self, name: str) -> str:
        return self.services[name].url

    def processes(self) -> list[ServiceProcess]:
        """Every process of the platform, replicas included."""
        return [p for group in self.replicas.values() for p in group] or list(
            self.services.values()
        )


def board_env(ports: Mapping[str, int]) -> dict[str, str]:
    """The supervisor board's page (on queueing) reads reporting and notify from the browser:
    their addresses for the page, and queueing's origin as the one page origin they allow."""
    if "queueing" not in ports:
        return {}
    port = ports["queueing"]
    env = {"PKC_PAGE_ORIGINS": f"http://127.0.0.1:{port},http://localhost:{port}"}
    for name in ("reporting", "notify"):
        if name in ports:
            env[f"PKC_QUEUEING_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    return env


def intake_env(ports: Mapping[str, int]) -> dict[str, str]:
    """Intake reads a queued contact's place from queueing for the adapter's status."""
    if "queueing" not in ports:
        return {}
    return {"PKC_INTAKE_QUEUEING_URL": f"http://127.0.0.1:{ports['queueing']}"}


@contextmanager
def running_platform(setup: PlatformSetup, ready_timeout: float) -> Iterator[LocalPlatform]:
    """The services (all five unless `setup.names` says) on `setup.bootstrap`, all ready,
    stopped on the way out (with the issuer, if this started it)."""
    with ExitStack() as stack:
        desk = stack.enter_context(alert_desk())
        issuer = setup.issuer or stack.enter_context(
            oidc_issuer(setup.state_dir, settings=setup.settings)
        )
        ports = setup.ports or {name: free_port() for name in setup.names}
        env = issuer.env() | board_env(ports) | intake_env(ports)
        env |= setup.env(desk, anchor=time.time())
        logs = setup.state_dir / "logs"
        replicas = {
            name: [
                ServiceProcess(
                    name,
                    ports[name] if replica == 1 else free_port(),
                    logs,
                    env | dict(setup.service_env.get(name, {})) | setup.replica_env(replica),
                    replica=replica,
                )
                for replica in range(1, setup.replicas + 1)
            ]
            for name in setup.names
        }
        every = [process for group in replicas.values() for process in group]
        try:
            for process in every:
                process.start()
            wait_ready(every, ready_timeout)
            services = {name: group[0] for name, group in replicas.items()}
            yield LocalPlatform(services, desk, clock_from_env(env), issuer, replicas=replicas)
        finally:
            for process in every:
                process.stop()
