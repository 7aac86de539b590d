"""Queueing's HTTP API for operator UIs, supervisors and adapters (real Kafka, real DB)."""

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from schemas import Region
from services.queueing.app import app_for
from services.queueing.bootstrap import Queueing, bootstrap
from services.queueing.settings import QueueingSettings
from services.shared.clock import SimulatedClock
from tests.e2e.conftest import SIMULATED_START
from tests.queueing_contacts import classified

pytestmark = pytest.mark.kafka
UI = {"Authorization": "Bearer ui-token"}
SUPERVISOR = {"Authorization": "Bearer supervisor-token"}
ADAPTER = {"Authorization": "Bearer adapter-token"}


@pytest.fixture
def client(kafka: str, state_dir: Path) -> Iterator[TestClient]:
    settings = QueueingSettings(
        kafka_bootstrap_servers=kafka,
        state_dir=state_dir,
        ui_tokens="ui-token",
        supervisor_tokens="supervisor-token",
        adapter_tokens="adapter-token",
        live_interval_seconds=0.05,
    )
    clock = SimulatedClock(SIMULATED_START)
    with TestClient(app_for(bootstrap(settings, clock))) as test_client:
        yield test_client


def enqueue(client: TestClient, region: Region, waited: float = 60) -> uuid.UUID:
    """Puts a contact in the queue the way the consumer does (the same use case)."""
    core: Queueing = client.app.state.queueing  # type: ignore[attr-defined]
    now = SimulatedClock(SIMULATED_START).now()
    event = classified(region, waited=waited, at=now)
    core.contacts.enqueue(event, now)
    return event.contact_id


def login(client: TestClient, operator: str, region: str) -> dict[str, str]:
    response = client.post(
        "/operators/login", json={"operator_id": operator, "region": region}, headers=UI
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_login_needs_a_ui_token_and_operator_calls_need_the_operators_token(
    client: TestClient,
) -> None:
    body = {"operator_id": "op-1", "region": "mitt"}
    assert client.post("/operators/login", json=body).status_code == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert client.post("/operators/login", json=body, headers=wrong).status_code == 403
    assert client.post("/operators/me/next").status_code == 401
    assert client.post("/operators/me/next", headers=wrong).status_code == 401
    assert (
        client.post(
            "/operators/login", json={"operator_id": "op-1", "region": "gotland"}, headers=UI
        ).status_code
        == 422
    )


def test_an_operator_takes_answers_and_records_an_outcome(client: TestClient) -> None:
    contact = enqueue(client, Region.MITT, waited=120)
    me = login(client, "op-mitt", "mitt")
    taken = client.post("/operators/me/next", headers=me)
    assert taken.status_code == 200
    assert taken.json()["contact_id"] == str(contact)
    premature = client.post(
        f"/contacts/{contact}/outcome", json={"outcome": "report_filed"}, headers=me
    )
    assert premature.status_code == 409
    answered = client.post(f"/contacts/{contact}/answer", headers=me)
    assert answered.status_code == 200
    assert answered.json()["wait_seconds"] >= 120
    twice = client.post(f"/contacts/{contact}/answer", headers=me)
    assert twice.status_code == 409
    assert "already answered" in twice.json()["detail"]
    outcome = client.post(
        f"/contacts/{contact}/outcome", json={"outcome": "report_filed"}, headers=me
    )
    assert outcome.status_code == 200
    assert outcome.json()["case_id"]
    assert client.post("/operators/me/next", headers=me).status_code == 204


def test_another_operators_contact_and_unknown_contacts_are_refused(client: TestClient) -> None:
    contact = enqueue(client, Region.NORD)
    holder, other = login(client, "n-1", "nord"), login(client, "n-2", "nord")
    assert client.post("/operators/me/next", headers=holder).status_code == 200
    assert client.post(f"/contacts/{contact}/answer", headers=other).status_code == 403
    assert client.post(f"/contacts/{uuid.uuid4()}/answer", headers=other).status_code == 404


def test_pause_blocks_taking_until_resume(client: TestClient) -> None:
    enqueue(client, Region.SYD)
    me = login(client, "s-1", "syd")
    assert (
        client.post("/operators/me/pause", json={"reason": "break"}, headers=me).status_code == 200
    )
    blocked = client.post("/operators/me/next", headers=me)
    assert blocked.status_code == 409
    assert "paused" in blocked.json()["detail"]
    assert client.post("/operators/me/resume", headers=me).status_code == 200
    assert client.post("/operators/me/next", headers=me).status_code == 200


def test_a_supervisor_order_moves_a_donor_operator_onto_the_lagging_queue(
    client: TestClient,
) -> None:
    lagging = enqueue(client, Region.VAST, waited=900)
    donor = login(client, "ost-1", "ost")
    until = (SimulatedClock(SIMULATED_START).now() + timedelta(hours=1)).isoformat()
    order = {"region": "vast", "donors": [{"region": "ost", "operators": 1}], "until": until}
    assert client.post("/reinforcements", json=order, headers=ADAPTER).status_code == 403
    created = client.post("/reinforcements", json=order, headers=SUPERVISOR)
    assert created.status_code == 201, created.text
    taken = client.post("/operators/me/next", headers=donor).json()
    assert taken["contact_id"] == str(lagging)
    assert taken["reinforcement_order"] == created.json()["order_id"]
    assert client.post(f"/contacts/{lagging}/answer", headers=donor).status_code == 200
    audit = client.get("/audit", headers=SUPERVISOR).json()
    assert any(r["kind"] == "answered_under_order" for r in audit)
    ended = client.delete(f"/reinforcements/{created.json()['order_id']}", headers=SUPERVISOR)
    assert ended.status_code == 200
    assert client.get("/reinforcements").json() == []


def test_an_adapter_reports_a_hang_up(client: TestClient) -> None:
    contact = enqueue(client, Region.BERGSLAGEN, waited=45)
    assert client.post(f"/contacts/{contact}/abandon", json={}).status_code == 401
    hung_up = client.post(f"/contacts/{contact}/abandon", json={}, headers=ADAPTER)
    assert hung_up.status_code == 200
    assert hung_up.json()["wait_seconds"] >= 45
    again = client.post(f"/contacts/{contact}/abandon", json={}, headers=ADAPTER)
    assert again.status_code == 409


def test_live_queue_state_streams_as_server_sent_events(client: TestClient) -> None:
    enqueue(client, Region.OST, waited=300)
    login(client, "o-1", "ost")
    state = client.get("/queues/ost").json()
    assert state["waiting"]["crime_report"] == 1
    assert state["operators_available"] == 1
    assert state["oldest_wait_seconds"] >= 300
    with client.stream("GET", "/queues/ost/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == "event: queue"
        data = next(lines)
        assert data.startswith("data: ")
        assert json.loads(data.removeprefix("data: "))["waiting_total"] == 1


def test_an_order_ends_at_the_instant_it_names_whatever_the_offset(client: TestClient) -> None:
    stockholm = timezone(timedelta(hours=2))  # summer time, as a supervisor's UI would send
    until = SimulatedClock(SIMULATED_START).now().astimezone(stockholm) + timedelta(hours=1)
    body = {
        "region": "nord",
        "donors": [{"region": "syd", "operators": 2}],
        "until": until.isoformat(),
    }
    assert client.post("/reinforcements", json=body, headers=SUPERVISOR).status_code == 201
    (listed,) = client.get("/reinforcements").json()
    assert datetime.fromisoformat(listed["until"]) == until
