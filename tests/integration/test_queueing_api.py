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
from tests.identities import Identities
from tests.queueing_contacts import classified

pytestmark = pytest.mark.kafka


@pytest.fixture
def client(kafka: str, state_dir: Path, identities: Identities) -> Iterator[TestClient]:
    settings = QueueingSettings(
        kafka_bootstrap_servers=kafka,
        state_dir=state_dir,
        oidc_issuer=identities.issuer,
        live_interval_seconds=0.05,
    )
    clock = SimulatedClock(SIMULATED_START)
    with TestClient(app_for(bootstrap(settings, clock))) as test_client:
        yield test_client


@pytest.fixture
def people(identities: Identities) -> "People":
    return People(identities)


class People:
    """The people and the adapter these tests sign in as (real tokens from the session's
    Keycloak; a name keeps the role and region it was first created with)."""

    def __init__(self, identities: Identities):
        self.identities = identities
        self.supervisor = identities.person("supervisor-national")
        self.adapter = identities.adapter("adapter-phone")

    def operator(self, name: str, region: str) -> dict[str, str]:
        return self.identities.person(f"q-{name}", "operator", region)


def enqueue(client: TestClient, region: Region, waited: float = 60) -> uuid.UUID:
    """Puts a contact in the queue the way the consumer does (the same use case)."""
    core: Queueing = client.app.state.queueing  # type: ignore[attr-defined]
    now = SimulatedClock(SIMULATED_START).now()
    event = classified(region, waited=waited, at=now)
    core.contacts.enqueue(event, now)
    return event.contact_id


def login(client: TestClient, people: People, operator: str, region: str) -> dict[str, str]:
    """Signs the operator in with their own token; returns it for their later calls."""
    me = people.operator(operator, region)
    response = client.post("/operators/login", json={}, headers=me)
    assert response.status_code == 200, response.text
    return me


def test_an_operator_signs_in_as_themselves_only(client: TestClient, people: People) -> None:
    me = people.operator("op-1", "mitt")
    assert client.post("/operators/login", json={}).status_code == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert client.post("/operators/login", json={}, headers=wrong).status_code == 401
    as_supervisor = client.post("/operators/login", json={}, headers=people.supervisor)
    assert as_supervisor.status_code == 403
    assert client.post("/operators/me/next", headers=me).status_code == 403, "not signed in"
    someone_else = client.post(
        "/operators/login", json={"operator_id": "q-op-2", "region": "mitt"}, headers=me
    )
    assert someone_else.status_code == 422, "the body cannot name who signs in"
    signed_in = client.post("/operators/login", json={}, headers=me)
    assert signed_in.status_code == 200
    assert signed_in.json()["name"] == "q-op-1"
    assert signed_in.json()["region"] == "mitt", "the home region comes from the token"
    assert signed_in.json()["operator_id"] == people.identities.subject(me)


def test_a_second_sign_in_is_explicit_and_audited(client: TestClient, people: People) -> None:
    me = login(client, people, "op-twice", "syd")
    again = client.post("/operators/login", json={}, headers=me)
    assert again.status_code == 409
    assert "takeover" in again.json()["detail"]
    assert client.post("/operators/login", json={"takeover": True}, headers=me).status_code == 200
    audit = client.get("/audit", params={"person": "q-op-twice"}, headers=people.supervisor)
    assert [r["kind"] for r in audit.json()] == ["session_taken_over", "signed_in"]


def test_an_operator_cannot_take_or_answer_as_another(client: TestClient, people: People) -> None:
    contact = enqueue(client, Region.NORD)
    holder, other = login(client, people, "n-1", "nord"), login(client, people, "n-2", "nord")
    assert client.post("/operators/me/next", headers=holder).status_code == 200
    assert client.post(f"/contacts/{contact}/answer", headers=other).status_code == 403
    outcome = {"outcome": "report_filed"}
    refused = client.post(f"/contacts/{contact}/outcome", json=outcome, headers=other)
    assert refused.status_code == 403
    assert client.post(f"/contacts/{uuid.uuid4()}/answer", headers=other).status_code == 404
    assert client.post(f"/contacts/{contact}/answer", headers=holder).status_code == 200


def test_an_operator_takes_answers_and_records_an_outcome(
    client: TestClient, people: People
) -> None:
    contact = enqueue(client, Region.MITT, waited=120)
    me = login(client, people, "op-mitt", "mitt")
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
    assert (twice.status_code, twice.json()) == (200, answered.json()), "a retry: the first answer"
    outcome = client.post(
        f"/contacts/{contact}/outcome", json={"outcome": "report_filed"}, headers=me
    )
    assert outcome.status_code == 200
    assert outcome.json()["case_id"]
    assert client.post("/operators/me/next", headers=me).status_code == 204
    audit = client.get("/audit", params={"person": "q-op-mitt"}, headers=people.supervisor)
    kinds = [(r["kind"], r["actor"]) for r in audit.json()]
    assert kinds == [
        ("outcome", "q-op-mitt"),
        ("answered", "q-op-mitt"),
        ("signed_in", "q-op-mitt"),
    ]
    assert "outcome=report_filed, case=" in audit.json()[0]["detail"], "the case is named"


def test_retries_after_lost_responses_change_nothing_twice(
    client: TestClient, people: People
) -> None:
    contact, waiting = enqueue(client, Region.OST, waited=300), enqueue(client, Region.OST)
    me = login(client, people, "op-retry", "ost")
    taken = client.post("/operators/me/next", headers=me)
    again = client.post("/operators/me/next", headers=me)  # the first response was lost
    assert (again.status_code, again.json()) == (200, taken.json())
    assert taken.json()["contact_id"] == str(contact)
    key = {**me, "Idempotency-Key": "answer-1"}
    answered = client.post(f"/contacts/{contact}/answer", headers=key)
    assert answered.status_code == 200
    retried = client.post(f"/contacts/{contact}/answer", headers=key)
    assert (retried.status_code, retried.json()) == (200, answered.json())
    reused = client.post(f"/contacts/{waiting}/answer", headers=key)
    assert reused.status_code == 409
    assert "Idempotency-Key" in reused.json()["detail"]
    filed, other = {"outcome": "report_filed"}, {"outcome": "transferred"}
    key = {**me, "Idempotency-Key": "outcome-1"}
    resolved = client.post(f"/contacts/{contact}/outcome", json=filed, headers=key)
    retried = client.post(f"/contacts/{contact}/outcome", json=filed, headers=key)
    assert (retried.status_code, retried.json()) == (200, resolved.json())
    changed = client.post(f"/contacts/{contact}/outcome", json=other, headers=key)
    assert changed.status_code == 409
    assert "Idempotency-Key" in changed.json()["detail"]
    without_key = client.post(f"/contacts/{contact}/outcome", json=other, headers=me)
    assert without_key.status_code == 409, "the outcome recorded stays"
    audit = client.get("/audit", params={"person": "q-op-retry"}, headers=people.supervisor)
    assert [r["kind"] for r in audit.json()] == ["outcome", "answered", "signed_in"]


def test_pause_blocks_taking_until_resume(client: TestClient, people: People) -> None:
    enqueue(client, Region.SYD)
    me = login(client, people, "s-1", "syd")
    assert (
        client.post("/operators/me/pause", json={"reason": "rast"}, headers=me).status_code == 200
    )
    blocked = client.post("/operators/me/next", headers=me)
    assert blocked.status_code == 409
    assert "paused" in blocked.json()["detail"]
    assert client.post("/operators/me/resume", headers=me).status_code == 200
    assert client.post("/operators/me/next", headers=me).status_code == 200


def test_a_supervisor_order_moves_a_donor_operator_onto_the_lagging_queue(
    client: TestClient, people: People
) -> None:
    lagging = enqueue(client, Region.VAST, waited=900)
    donor = login(client, people, "ost-1", "ost")
    until = (SimulatedClock(SIMULATED_START).now() + timedelta(hours=1)).isoformat()
    order = {"region": "vast", "donors": [{"region": "ost", "operators": 1}], "until": until}
    assert client.post("/reinforcements", json=order, headers=people.adapter).status_code == 403
    assert client.post("/reinforcements", json=order, headers=donor).status_code == 403
    created = client.post("/reinforcements", json=order, headers=people.supervisor)
    assert created.status_code == 201, created.text
    taken = client.post("/operators/me/next", headers=donor).json()
    assert taken["contact_id"] == str(lagging)
    assert taken["reinforcement_order"] == created.json()["order_id"]
    assert client.post(f"/contacts/{lagging}/answer", headers=donor).status_code == 200
    audit = client.get("/audit", headers=people.supervisor).json()
    assert any(r["kind"] == "answered_under_order" for r in audit)
    (ordered,) = [r for r in audit if r["kind"] == "order_created"]
    assert ordered["actor"] == "supervisor-national", "the order names the person who gave it"
    assert created.json()["ordered_by"] == "supervisor-national"
    ended = client.delete(
        f"/reinforcements/{created.json()['order_id']}", headers=people.supervisor
    )
    assert ended.status_code == 200
    assert client.get("/reinforcements", headers=donor).json() == []


def test_an_adapter_reports_a_hang_up(client: TestClient, people: People) -> None:
    contact = enqueue(client, Region.BERGSLAGEN, waited=45)
    assert client.post(f"/contacts/{contact}/abandon", json={}).status_code == 401
    hung_up = client.post(f"/contacts/{contact}/abandon", json={}, headers=people.adapter)
    assert hung_up.status_code == 200
    assert hung_up.json()["wait_seconds"] >= 45
    again = client.post(f"/contacts/{contact}/abandon", json={}, headers=people.adapter)
    assert again.status_code == 409


def test_live_queue_state_streams_as_server_sent_events(client: TestClient, people: People) -> None:
    enqueue(client, Region.OST, waited=300)
    me = login(client, people, "o-1", "ost")
    assert client.get("/queues/ost").status_code == 401
    state = client.get("/queues/ost", headers=me).json()
    assert state["waiting"]["crime_report"] == 1
    assert state["operators_available"] == 1
    assert state["oldest_wait_seconds"] >= 300
    with client.stream("GET", "/queues/ost/stream", headers=me) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == "event: queue"
        data = next(lines)
        assert data.startswith("data: ")
        assert json.loads(data.removeprefix("data: "))["waiting_total"] == 1


def test_an_order_ends_at_the_instant_it_names_whatever_the_offset(
    client: TestClient, people: People
) -> None:
    stockholm = timezone(timedelta(hours=2))  # summer time, as a supervisor's UI would send
    until = SimulatedClock(SIMULATED_START).now().astimezone(stockholm) + timedelta(hours=1)
    body = {
        "region": "nord",
        "donors": [{"region": "syd", "operators": 2}],
        "until": until.isoformat(),
    }
    assert client.post("/reinforcements", json=body, headers=people.supervisor).status_code == 201
    (listed,) = client.get("/reinforcements", headers=people.supervisor).json()
    assert datetime.fromisoformat(listed["until"]) == until


def test_a_regional_supervisor_acts_and_reads_in_their_region_only(
    client: TestClient, people: People
) -> None:
    regional = people.identities.person("supervisor-syd", "supervisor", "syd")
    until = (SimulatedClock(SIMULATED_START).now() + timedelta(hours=1)).isoformat()
    for_vast = {"region": "vast", "donors": [{"region": "syd", "operators": 1}], "until": until}
    refused = client.post("/reinforcements", json=for_vast, headers=regional)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "not allowed to act in region vast"
    for_syd = {"region": "syd", "donors": [{"region": "ost", "operators": 1}], "until": until}
    assert client.post("/reinforcements", json=for_syd, headers=regional).status_code == 201
    national_order = client.post("/reinforcements", json=for_vast, headers=people.supervisor)
    ending = client.delete(f"/reinforcements/{national_order.json()['order_id']}", headers=regional)
    assert ending.status_code == 403
    own = client.get("/audit", headers=regional).json()
    assert {r["region"] for r in own} == {"syd"}
    assert client.get("/audit", params={"region": "vast"}, headers=regional).status_code == 403


def test_the_audit_is_read_by_auditors_and_supervisors_only(
    client: TestClient, people: People
) -> None:
    me = login(client, people, "audited", "nord")
    auditor = people.identities.person("auditor")
    assert client.get("/audit", headers=me).status_code == 403
    assert client.get("/audit", headers=people.adapter).status_code == 403
    read = client.get("/audit", params={"person": "q-audited", "region": "nord"}, headers=auditor)
    assert [(r["kind"], r["actor_id"]) for r in read.json()] == [
        ("signed_in", people.identities.subject(me))
    ]
    later = SimulatedClock(SIMULATED_START).now() + timedelta(hours=1)
    empty = client.get("/audit", params={"since": later.isoformat()}, headers=auditor)
    assert empty.json() == []
