"""A queued contact's status when queueing cannot give its place: intake on the session's broker
and Keycloak, the contact queued by a real `Queued` event, and queueing either not listening at
all or listening and never answering (a real socket that takes connections and says nothing).
Either way the adapter gets its status at once, 200, without a position; queueing's answer with
a place is the end-to-end test's (tests/e2e/test_callback_flow.py)."""

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pkc.polling import poll
from pkc.ports import free_port
from schemas import Channel, NeedCategory, Queued, QueueName, Region
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from services.shared.kafka import EventProducer
from tests.identities import Identities

pytestmark = pytest.mark.kafka
DEADLINE = 1.0


@pytest.fixture
def silent_queueing() -> Iterator[str]:
    """A base URL whose server accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


async def _queue(kafka: str, contact_id: uuid.UUID) -> None:
    now = datetime.now(UTC)
    queued = Queued(
        occurred_at=now,
        contact_id=contact_id,
        region=Region.NORD,
        queue=QueueName.CRIME_REPORT,
        channel=Channel.PHONE,
        category=NeedCategory.CASE_HELP,
        priority=3,
        received_at=now,
    )
    producer = EventProducer(kafka, "test-place")
    await producer.start()
    try:
        await producer.publish(queued)
    finally:
        await producer.stop()


def queued_status(client: TestClient, kafka: str) -> tuple[str, dict[str, Any]]:
    body = {
        "idempotency_key": f"place-{uuid.uuid4()}",
        "source": "place-test",
        "region": "nord",
        "channel": "phone",
        "text": "Min plånbok blev stulen på bussen igår",
    }
    posted = client.post("/contacts", json=body)
    assert posted.status_code == 202, posted.text
    contact_id = posted.json()["contact_id"]
    asyncio.run(_queue(kafka, uuid.UUID(contact_id)))

    def queued() -> dict[str, Any] | None:
        answer = client.get(f"/contacts/{contact_id}")
        assert answer.status_code == 200, answer.text
        status: dict[str, Any] = answer.json()
        return status if status["stage"] == "queued" else None

    return contact_id, poll(queued, "the contact queued", timeout=60)


@pytest.mark.parametrize("queueing", ["unreachable", "silent"])
def test_without_an_answer_from_queueing_the_status_answers_without_a_place(
    kafka: str,
    state_dir: Path,
    identities: Identities,
    silent_queueing: str,
    queueing: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = silent_queueing if queueing == "silent" else f"http://127.0.0.1:{free_port()}"
    settings = IntakeSettings(
        kafka_bootstrap_servers=kafka,
        state_dir=state_dir,
        oidc_issuer=identities.issuer,
        queueing_url=url,
        place_deadline_seconds=DEADLINE,
    )
    adapter = identities.adapter()
    with TestClient(create_app(settings), headers=adapter) as client:
        contact_id, status = queued_status(client, kafka)
        assert (status["position"], status["estimated_wait_seconds"]) == (None, None)
        started = time.monotonic()
        again = client.get(f"/contacts/{contact_id}")
        took = time.monotonic() - started
    assert again.status_code == 200
    assert again.json()["stage"] == "queued"
    assert took < DEADLINE + 2, f"the status waited {took:.1f} s for queueing"
    logged = caplog.text
    assert "queueing gave no place in time" in logged
    assert "plånbok" not in logged
    assert adapter["Authorization"].split()[1] not in logged, "no token in the log"
