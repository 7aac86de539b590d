"""A platform on a broker of its own, so that tests may kill its services and the broker itself
without disturbing the rest of the session."""

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from pkc.issuer import ISSUER_VARIABLE
from pkc.localkafka import LocalKafka
from pkc.platform import LocalPlatform, PlatformSetup, local_broker, running_platform
from pkc.polling import poll
from schemas import Region
from schemas.topics import CONSUMERS
from services.shared.kafka.injection import VARIABLE as INJECT_FAULTS
from tests.identities import Identities

# A Tuesday morning in Stockholm (CET) inside service hours, far from every other test's day.
SIMULATED_START = datetime.fromisoformat("2027-01-12T10:00:00+01:00")
THEFT_REPORT = "Min cykel blev stulen utanför stationen i förra veckan, jag vill anmäla det."
T = TypeVar("T")


@dataclass(frozen=True)
class FaultPlatform(LocalPlatform):
    broker: LocalKafka
    identities: Identities  # the session's Keycloak, whose tokens the services verify
    state_dir: Path  # the services' SQLite files, and the faults file reporting reads

    @property
    def faults_file(self) -> Path:
        """Where a test writes the faults reporting's agent injects (see injection.py)."""
        return self.state_dir / "faults.json"

    def ready(self, name: str) -> bool:
        """Whether `name`'s /readyz says ready (an answer slower than 5 s is a no too)."""
        try:
            return httpx.get(f"{self.url(name)}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def dead_letters(self) -> dict[str, int]:
        """Records ever written to each DLQ topic (its end offsets, summed)."""
        return asyncio.run(_dead_letters(self.broker.bootstrap))

    def restart(self, name: str) -> None:
        service = self.services[name]
        service.kill()
        service.start()

    def assert_all_alive(self) -> None:
        for service in self.services.values():
            code = service.exit_code()
            assert code is None, f"{service.name} exited with {code}:\n{service.tail(40)}"

    def post_contact(self, key: str, region: Region, timeout: float = 120) -> str:
        """Posts like a channel adapter: retries with the same idempotency key until intake
        accepts (202), so a crash or an outage never loses a contact the adapter holds."""
        body = {
            "idempotency_key": key,
            "source": "fault-test",
            "region": region.value,
            "channel": "phone",
            "text": THEFT_REPORT,
            "received_at": self.clock.now().isoformat(),
        }

        def accepted() -> str | None:
            adapter = self.identities.adapter("adapter-phone")
            response = httpx.post(
                f"{self.url('intake')}/contacts", json=body, headers=adapter, timeout=15
            )
            if response.status_code == 202:
                return str(response.json()["contact_id"])
            assert response.status_code >= 500, response.text  # only outages are retried
            return None

        # The retry interval of the simulated adapter; intake down is "not yet" too.
        return poll(
            unless_restarting(accepted), f"intake to accept {key}", timeout=timeout, interval=0.2
        )

    def offered(self) -> dict[Region, int]:
        """Offered contacts in each region's current window, as reporting counts them."""
        reader = self.identities.person("supervisor-national")
        rows = httpx.get(f"{self.url('reporting')}/sla", headers=reader, timeout=10).json()
        return {Region(r["region"]): int(r["window"]["offered"]) for r in rows}

    def waiting(self) -> int:
        """Contacts waiting in queueing's queues, over every region."""
        reader = self.identities.person("supervisor-national")
        states = httpx.get(f"{self.url('queueing')}/queues", headers=reader, timeout=10).json()
        return sum(int(state["waiting_total"]) for state in states)


def unless_restarting(probe: Callable[[], T | None]) -> Callable[[], T | None]:
    """`probe` for `poll`, where a service still restarting (refused connection) is "not yet"."""

    def tolerant() -> T | None:
        try:
            return probe()
        except httpx.TransportError:
            return None

    return tolerant


async def _dead_letters(bootstrap: str) -> dict[str, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        counts = {}
        await consumer.topics()  # fetches the metadata partitions_for_topic reads
        for spec in CONSUMERS:
            name = spec.dead_letter.name
            partitions = consumer.partitions_for_topic(name) or set()
            ends = await consumer.end_offsets([TopicPartition(name, p) for p in partitions])
            counts[name] = sum(ends.values())
        return counts
    finally:
        await consumer.stop()


@contextmanager
def platform_for_faults(
    state: Path,
    identities: Identities,
    settings: Mapping[str, str] = {},
    service_env: Mapping[str, Mapping[str, str]] = {},
) -> Iterator[FaultPlatform]:
    """The five services on a broker of their own, `settings` added to every service's."""
    settings = {
        "PKC_TRACES_EXPORTER": "none",
        "PKC_NOTIFY_FIRST_BACKOFF_SECONDS": "0.1",
        ISSUER_VARIABLE: identities.issuer,  # the session's Keycloak: no second one starts
        INJECT_FAULTS: str(state / "faults.json"),  # while it is absent, nothing is injected
        **settings,
    }
    with local_broker(state / "kafka") as broker:
        setup = PlatformSetup(
            broker.bootstrap, state, SIMULATED_START, settings=settings, service_env=service_env
        )
        with running_platform(setup, ready_timeout=120) as running:
            yield FaultPlatform(
                running.services,
                running.desk,
                running.clock,
                running.issuer,
                broker,
                identities,
                state,
            )


@pytest.fixture(scope="module")
def fault_platform(
    tmp_path_factory: pytest.TempPathFactory, identities: Identities
) -> Iterator[FaultPlatform]:
    with platform_for_faults(tmp_path_factory.mktemp("fault"), identities) as platform:
        yield platform
