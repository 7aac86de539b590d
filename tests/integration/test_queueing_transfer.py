"""Transfers on queueing's API, on a real broker and database: an operator hands the contact
they answered to another region's queue or to 112 (services/queueing/transfers.py)."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas import Region
from schemas.topics import QUEUE_EVENTS
from services.queueing.app import app_for
from services.queueing.bootstrap import Queueing, bootstrap
from services.queueing.settings import QueueingSettings
from services.shared.clock import SimulatedClock
from tests.e2e.conftest import SIMULATED_START
from tests.identities import Identities
from tests.kafka_helpers import Records, read_to_end, read_until
from tests.queueing_contacts import classified

pytestmark = pytest.mark.kafka


@pytest.fixture
def client(kafka: str, state_dir: Path, identities: Identities) -> Iterator[TestClient]:
    settings = QueueingSettings(
        kafka_bootstrap_servers=kafka, state_dir=state_dir, oidc_issuer=identities.issuer
    )
    with TestClient(app_for(bootstrap(settings, SimulatedClock(SIMULATED_START)))) as test_client:
        yield test_client


def enqueue(client: TestClient, region: Region) -> uuid.UUID:
    """A contact queued the way the consumer queues it (the same use case)."""
    core: Queueing = client.app.state.queueing  # type: ignore[attr-defined]
    now = core.clock.now()
    event = classified(region, waited=30, at=now)
    core.contacts.enqueue(event, now)
    return event.contact_id


def answering(client: TestClient, identities: Identities, name: str, region: str) -> Any:
    """Signs an operator in; returns their token headers and the contact they took."""
    me = identities.person(f"t-{name}-{uuid.uuid4().hex[:6]}", "operator", region)
    assert client.post("/operators/login", json={}, headers=me).status_code == 200
    taken = client.post("/operators/me/next", headers=me)
    assert taken.status_code == 200, taken.text
    return me, taken.json()


def events_of(records: Records, contact_id: uuid.UUID) -> list[dict[str, Any]]:
    values = (json.loads(r.value) for r in records if r.value is not None)
    return [v for v in values if v.get("contact_id") == str(contact_id)]


def test_a_transfer_moves_a_contact_to_another_regions_queue_and_says_so_once(
    client: TestClient, identities: Identities, kafka: str
) -> None:
    contact_id = enqueue(client, Region.VAST)
    vast, taken = answering(client, identities, "vast", "vast")
    assert taken["contact_id"] == str(contact_id)
    url = f"/contacts/{contact_id}/transfer"
    body = {"to": "queue", "region": "syd", "category": "urgent"}
    early = client.post(url, json=body, headers=vast)
    assert early.status_code == 409
    assert "answer" in early.json()["detail"]
    assert client.post(f"/contacts/{contact_id}/answer", headers=vast).status_code == 200

    keyed = {**vast, "Idempotency-Key": str(uuid.uuid4())}
    moved = client.post(url, json=body, headers=keyed)

    assert moved.status_code == 200, moved.text
    event = moved.json()
    assert (event["region"], event["to_region"], event["to_queue"]) == ("vast", "syd", "urgent")
    assert (event["from_category"], event["category"], event["priority"]) == (
        "case_help",
        "urgent",
        2,
    )
    assert client.get("/operators/me", headers=vast).json()["status"] == "wrap_up"
    retried = client.post(url, json=body, headers=keyed)
    assert retried.status_code == 200, "a lost response, retried under its key"
    assert retried.json()["event_id"] == event["event_id"]
    other = client.post(url, json={**body, "region": "nord"}, headers=keyed)
    assert other.status_code == 409, "the key of another request"
    again = client.post(url, json=body, headers=vast)
    assert again.status_code == 403, "no longer theirs"
    assert client.get("/queues/vast", headers=vast).json()["waiting_total"] == 0
    _syd, taken_in_syd = answering(client, identities, "syd", "syd")
    assert taken_in_syd["contact_id"] == str(contact_id)
    assert (taken_in_syd["region"], taken_in_syd["queue"]) == ("syd", "urgent")
    assert taken_in_syd["category"] == "urgent"

    def published(records: Records) -> bool:
        return any(
            e["event_type"] == "Queued" and e["region"] == "syd"
            for e in events_of(records, contact_id)
        )

    asyncio.run(read_until(kafka, QUEUE_EVENTS.name, published))
    records = asyncio.run(read_to_end(kafka, QUEUE_EVENTS.name, QUEUE_EVENTS.partitions))
    found = {(e["event_type"], e["region"]): e for e in events_of(records, contact_id)}
    kinds = [(e["event_type"], e["region"]) for e in events_of(records, contact_id)]
    assert kinds.count(("Transferred", "vast")) == 1, kinds
    assert kinds.count(("Queued", "syd")) == 1, kinds
    # The first wait ended with Väst's answer; the new one, Syd's, starts at the transfer.
    assert ("Answered", "vast") in found
    assert found[("Queued", "syd")]["received_at"] == found[("Transferred", "vast")]["occurred_at"]


def test_a_transfer_to_112_ends_the_contact(client: TestClient, identities: Identities) -> None:
    contact_id = enqueue(client, Region.NORD)
    nord, _ = answering(client, identities, "nord", "nord")
    stranger = identities.person(f"t-other-{uuid.uuid4().hex[:6]}", "operator", "nord")
    assert client.post("/operators/login", json={}, headers=stranger).status_code == 200
    assert client.post(f"/contacts/{contact_id}/answer", headers=nord).status_code == 200
    url = f"/contacts/{contact_id}/transfer"
    assert client.post(url, json={"to": "112"}, headers=stranger).status_code == 403
    unknown = client.post(f"/contacts/{uuid.uuid4()}/transfer", json={"to": "112"}, headers=nord)
    assert unknown.status_code == 404
    nod = {"to": "queue", "category": "emergency"}
    assert client.post(url, json=nod, headers=nord).status_code == 409, "Nöd goes to 112"

    to_112 = client.post(url, json={"to": "112"}, headers=nord)

    assert to_112.status_code == 200, to_112.text
    assert (to_112.json()["destination"], to_112.json()["to_region"]) == ("112", None)
    outcome = client.post(
        f"/contacts/{contact_id}/outcome", json={"outcome": "information_given"}, headers=nord
    )
    assert outcome.status_code == 409, "ended: nothing more to record"
    assert client.get("/queues/nord", headers=nord).json()["waiting_total"] == 0
