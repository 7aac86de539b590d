"""A platform on a broker of its own, so that tests may kill its services and the broker itself
without disturbing the rest of the session."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from pkc.localkafka import LocalKafka
from pkc.processes import SERVICES, ServiceProcess, wait_ready
from schemas import Region
from services.shared.clock import SimulatedClock
from services.shared.settings import DEV_SECRET
from tests.conftest import free_port, private_broker
from tests.webhook_receiver import WebhookReceiver, webhook_receiver

# A Tuesday morning in Stockholm (CET) inside service hours, far from every other test's day.
SIMULATED_START = datetime.fromisoformat("2027-01-12T10:00:00+01:00")
THEFT_REPORT = "Min cykel blev stulen utanför stationen i förra veckan, jag vill anmäla det."
AUTH = {"Authorization": f"Bearer {DEV_SECRET}"}


@dataclass
class FaultPlatform:
    broker: LocalKafka
    services: dict[str, ServiceProcess]
    clock: SimulatedClock
    webhook: WebhookReceiver

    def url(self, name: str) -> str:
        return self.services[name].url

    def restart(self, name: str) -> None:
        service = self.services[name]
        service.kill()
        service.start()

    def assert_all_alive(self) -> None:
        for service in self.services.values():
            code = service.exit_code()
            assert code is None, f"{service.name} exited with {code}:\n{service.tail(40)}"

    def post_contact(self, key: str, region: Region, deadline: float) -> str:
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
        while True:
            try:
                response = httpx.post(
                    f"{self.url('intake')}/contacts", json=body, headers=AUTH, timeout=15
                )
                if response.status_code == 202:
                    return str(response.json()["contact_id"])
                assert response.status_code >= 500, response.text  # only outages are retried
            except httpx.TransportError:
                pass  # intake is down: an adapter keeps the contact and tries again
            assert time.monotonic() < deadline, f"intake never accepted {key}"
            time.sleep(0.2)  # retry interval of the simulated adapter

    def offered(self) -> dict[Region, int]:
        """Offered contacts in each region's current window, as reporting counts them."""
        rows = httpx.get(f"{self.url('reporting')}/sla", timeout=10).json()
        return {Region(r["region"]): int(r["window"]["offered"]) for r in rows}

    def waiting(self) -> int:
        """Contacts waiting in queueing's queues, over every region."""
        states = httpx.get(f"{self.url('queueing')}/queues", timeout=10).json()
        return sum(int(state["waiting_total"]) for state in states)


def poll(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Polls until `check` holds; a service still restarting (refused connection) is "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


@pytest.fixture(scope="module")
def fault_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultPlatform]:
    state: Path = tmp_path_factory.mktemp("fault")
    with private_broker(state / "kafka") as broker, webhook_receiver() as webhook:
        anchor = time.time()
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "PKC_STATE_DIR": str(state),
            "PKC_TRACES_EXPORTER": "none",
            "PKC_CLOCK_START": SIMULATED_START.isoformat(),
            "PKC_CLOCK_ANCHOR": str(anchor),
            "PKC_NOTIFY_WEBHOOK_URL": webhook.url,
            "PKC_NOTIFY_FIRST_BACKOFF_SECONDS": "0.1",
        }
        services = {
            name: ServiceProcess(name, free_port(), state / "logs", env) for name in SERVICES
        }
        for service in services.values():
            service.start()
        try:
            wait_ready(list(services.values()), timeout=120)
            clock = SimulatedClock(SIMULATED_START, anchor, 1.0)
            yield FaultPlatform(broker, services, clock, webhook)
        finally:
            for service in services.values():
                service.stop()
