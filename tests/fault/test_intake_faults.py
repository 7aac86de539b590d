"""Intake under faults, as a real process on a real broker: the broker stopped (503 within the
deadline, not ready, and once it is back the adapter's retry is accepted with one event on the
topic), and intake killed between claiming an idempotency key and publishing it (the retry
after the restart publishes it once)."""

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from pkc.platform import local_broker
from pkc.polling import poll
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from schemas import ContactReceived, decode_event
from schemas.topics import CONTACTS_RECEIVED
from services.intake.handlers import CRASHED
from tests.fault.conftest import THEFT_REPORT, unless_restarting
from tests.identities import Identities
from tests.kafka_helpers import read_to_end

pytestmark = [pytest.mark.kafka, pytest.mark.waits]

DEADLINE = 2.0  # seconds: PKC_INTAKE_PUBLISH_DEADLINE_SECONDS of the intake under test


def intake(state: Path, bootstrap: str, identities: Identities, **env: str) -> ServiceProcess:
    """An intake process (not yet started) on `bootstrap`, its table under `state`."""
    settings = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "PKC_STATE_DIR": str(state),
        "PKC_OIDC_ISSUER": identities.issuer,
        "PKC_TRACES_EXPORTER": "none",
        "PKC_INTAKE_PUBLISH_DEADLINE_SECONDS": str(DEADLINE),
    }
    return ServiceProcess("intake", free_port(), state / "logs", settings | env)


def post(service: ServiceProcess, identities: Identities, key: str) -> httpx.Response:
    body = {
        "idempotency_key": key,
        "source": "fault-test",
        "region": "syd",
        "channel": "phone",
        "text": THEFT_REPORT,
    }
    headers = identities.adapter("adapter-phone")
    return httpx.post(f"{service.url}/contacts", json=body, headers=headers, timeout=30)


def accepted_on_retry(service: ServiceProcess, identities: Identities, key: str) -> str:
    """The adapter's retry loop: the same key until intake answers 2xx; its contact id."""

    def accepted() -> str | None:
        response = post(service, identities, key)
        assert response.status_code in (200, 202, 503), response.text
        return str(response.json()["contact_id"]) if response.status_code < 300 else None

    return poll(unless_restarting(accepted), f"intake to accept {key}", timeout=90)


def events_for(bootstrap: str, contact_id: str) -> list[ContactReceived]:
    records = asyncio.run(
        read_to_end(bootstrap, CONTACTS_RECEIVED.name, CONTACTS_RECEIVED.partitions)
    )
    events = [decode_event(record.value) for record in records]
    return [e for e in events if isinstance(e, ContactReceived) and str(e.contact_id) == contact_id]


def readiness(service: ServiceProcess) -> int:
    return httpx.get(f"{service.url}/readyz", timeout=5).status_code


@pytest.fixture
def running() -> Iterator[list[ServiceProcess]]:
    """The intake processes a test starts, stopped on the way out."""
    started: list[ServiceProcess] = []
    yield started
    for service in started:
        service.stop()


def test_a_stopped_broker_is_a_503_within_the_deadline_and_the_retry_publishes_once(
    tmp_path: Path, identities: Identities, running: list[ServiceProcess]
) -> None:
    with local_broker(tmp_path / "kafka", heap="512m") as broker:
        service = intake(tmp_path, broker.bootstrap, identities)
        running.append(service)
        service.start()
        wait_ready([service], 60)
        assert post(service, identities, "before-outage").status_code == 202

        broker.stop()
        poll(lambda: readiness(service) == 503, "intake to say it is not ready", timeout=15)
        began = time.monotonic()
        refused = post(service, identities, "during-outage")
        assert refused.status_code == 503
        assert time.monotonic() - began <= DEADLINE + 1
        assert int(refused.headers["Retry-After"]) > 0

        broker.start()
        poll(lambda: readiness(service) == 200, "intake to be ready again", timeout=60)
        contact_id = accepted_on_retry(service, identities, "during-outage")
        assert len(events_for(broker.bootstrap, contact_id)) == 1
        again = post(service, identities, "during-outage")
        assert again.status_code == 200
        assert len(events_for(broker.bootstrap, contact_id)) == 1


def test_intake_killed_between_claim_and_publish_publishes_once_on_the_retry(
    tmp_path: Path,
    kafka: str,
    database_url: str,
    identities: Identities,
    running: list[ServiceProcess],
) -> None:
    database = {"PKC_INTAKE_DATABASE_URL": database_url}
    crashing = intake(tmp_path, kafka, identities, PKC_INTAKE_FAULT="crash-after-claim", **database)
    running.append(crashing)
    crashing.start()
    wait_ready([crashing], 60)
    key = f"crash-{uuid.uuid4()}"
    with pytest.raises(httpx.TransportError):  # the adapter never hears back
        post(crashing, identities, key)
    poll(lambda: crashing.exit_code() == CRASHED, "intake to crash after the claim", timeout=10)

    healthy = {name: value for name, value in crashing.env.items() if name != "PKC_INTAKE_FAULT"}
    restarted = replace(crashing, env=healthy, process=None)  # same port, same table
    running.append(restarted)
    restarted.start()
    wait_ready([restarted], 60)
    contact_id = accepted_on_retry(restarted, identities, key)
    assert len(events_for(kafka, contact_id)) == 1
    assert post(restarted, identities, key).status_code == 200
    assert len(events_for(kafka, contact_id)) == 1
