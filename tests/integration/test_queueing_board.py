"""The supervisor board's actions and data through queueing's HTTP API, with real tokens
(Keycloak) on SQLite and PostgreSQL: a forced sign-out, a moved contact and a raised priority,
each audited with the supervisor's name; refusals for a non-supervisor, another region's
supervisor and unknown operators or contacts; operators by state with time in state."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas import Region
from services.queueing.app import app_for
from services.queueing.bootstrap import Queueing, bootstrap
from services.queueing.settings import QueueingSettings
from services.shared.clock import SimulatedClock
from tests.e2e.conftest import SIMULATED_START
from tests.identities import Identities
from tests.integration.routes_client import routes_client
from tests.queueing_contacts import classified

pytestmark = pytest.mark.oidc
SUPERVISOR = "board-supervisor-syd"


@pytest.fixture
def client(identities: Identities, state_dir: Path, database_url: str) -> Iterator[TestClient]:
    settings = QueueingSettings(
        state_dir=state_dir, database_url=database_url, oidc_issuer=identities.issuer
    )
    with routes_client(app_for(bootstrap(settings, SimulatedClock(SIMULATED_START)))) as client:
        yield client


@pytest.fixture
def supervisor(identities: Identities) -> dict[str, str]:
    return identities.person(SUPERVISOR, "supervisor", "syd")


def enqueue(client: TestClient, region: Region, priority: int = 4, waited: float = 60) -> uuid.UUID:
    core: Queueing = client.app.state.queueing  # type: ignore[attr-defined]
    now = core.clock.now()
    event = classified(region, priority=priority, waited=waited, at=now)
    core.contacts.enqueue(event, now)
    return event.contact_id


def audit_of(client: TestClient, identities: Identities) -> list[dict[str, Any]]:
    """The supervisor's audit rows, newest first (read as an auditor)."""
    rows = client.get("/audit", params={"person": SUPERVISOR}, headers=identities.person("auditor"))
    assert rows.status_code == 200, rows.text
    return rows.json()  # type: ignore[no-any-return]


def test_a_supervisor_forces_a_sign_out_and_the_audit_names_them(
    client: TestClient, identities: Identities, supervisor: dict[str, str]
) -> None:
    name = f"board-op-{uuid.uuid4().hex[:6]}"
    operator = identities.person(name, "operator", "syd")
    signed_in = client.post("/operators/login", json={}, headers=operator)
    operator_id = signed_in.json()["operator_id"]
    contact_id = enqueue(client, Region.SYD)
    taken = client.post("/operators/me/next", headers=operator)
    assert taken.json()["contact_id"] == str(contact_id)
    listed = client.get("/operators", params={"region": "syd"}, headers=supervisor).json()
    (shown,) = [o for o in listed if o["operator_id"] == operator_id]
    assert (shown["name"], shown["state"]) == (name, "busy")
    assert shown["seconds_in_state"] >= 0
    url = f"/operators/{operator_id}/sign-out"
    assert client.post(url, headers=operator).status_code == 403, "an operator is no supervisor"
    elsewhere = identities.person("board-supervisor-nord", "supervisor", "nord")
    assert client.post(url, headers=elsewhere).status_code == 403, "not their region"
    assert client.post("/operators/nobody/sign-out", headers=supervisor).status_code == 404

    forced = client.post(url, headers=supervisor)

    assert forced.status_code == 200, forced.text
    assert forced.json()["status"] == "signed_out"
    assert client.get("/operators/me", headers=operator).status_code == 403, "session over"
    queue = client.get("/queues/syd", headers=supervisor).json()
    assert queue["waiting_total"] == 1, "what they held is back in the queue"
    latest = audit_of(client, identities)[0]
    assert (latest["kind"], latest["actor"], latest["region"]) == (
        "forced_sign_out",
        SUPERVISOR,
        "syd",
    )
    assert f"operator={name}" in latest["detail"]
    assert client.post(url, headers=supervisor).status_code == 409, "signed out already"


def test_a_supervisor_moves_a_waiting_contact_and_raises_its_priority(
    client: TestClient, identities: Identities, supervisor: dict[str, str]
) -> None:
    first = enqueue(client, Region.SYD, priority=3, waited=120)
    later = enqueue(client, Region.SYD, priority=5, waited=60)
    operator = identities.person("board-op-plain", "operator", "syd")
    unknown = uuid.uuid4()
    assert (
        client.post(
            f"/contacts/{later}/priority", json={"priority": 1}, headers=operator
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/contacts/{unknown}/priority", json={"priority": 1}, headers=supervisor
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/contacts/{unknown}/move", json={"queue": "urgent"}, headers=supervisor
        ).status_code
        == 404
    )
    lower = client.post(f"/contacts/{later}/priority", json={"priority": 5}, headers=supervisor)
    assert lower.status_code == 409, "not a raise"

    raised = client.post(f"/contacts/{later}/priority", json={"priority": 1}, headers=supervisor)
    moved = client.post(f"/contacts/{first}/move", json={"queue": "urgent"}, headers=supervisor)

    assert raised.status_code == 200, raised.text
    assert raised.json()["priority"] == 1
    assert moved.status_code == 200, moved.text
    assert moved.json()["queue"] == "urgent"
    kinds = [row["kind"] for row in audit_of(client, identities)[:2]]
    assert kinds == ["contact_moved", "priority_raised"]
    board = client.get("/board/data", headers=supervisor).json()
    shown = [w["contact_id"] for w in board["waiting"] if w["region"] == "syd"]
    assert shown[:2] == [str(later), str(first)], "the raised one is served first now"
    assert {r["region"] for r in board["regions"]} == {r.value for r in Region}
    # The operator takes the raised contact first, from the crime-report queue it stayed in.
    assert (
        client.post("/operators/login", json={"takeover": True}, headers=operator).status_code
        == 200
    )
    taken = client.post("/operators/me/next", headers=operator).json()
    assert taken["contact_id"] == str(later)


def test_a_regional_supervisor_sees_and_acts_in_their_own_region_only(
    client: TestClient, identities: Identities, supervisor: dict[str, str]
) -> None:
    in_nord = identities.person("board-op-nord", "operator", "nord")
    assert (
        client.post("/operators/login", json={"takeover": True}, headers=in_nord).status_code == 200
    )
    nord_contact = enqueue(client, Region.NORD)
    other = client.get("/operators", params={"region": "nord"}, headers=supervisor)
    assert other.status_code == 403
    board = client.get("/board/data", headers=supervisor).json()
    assert {o["region"] for o in board["operators"]} <= {"syd"}
    assert all(w["region"] == "syd" for w in board["waiting"])
    assert len(board["regions"]) == len(Region), "queue counts are national"
    refused = client.post(
        f"/contacts/{nord_contact}/priority", json={"priority": 1}, headers=supervisor
    )
    assert refused.status_code == 403
    national = identities.person("board-supervisor-national", "supervisor", "national")
    everyone = client.get("/operators", headers=national).json()
    assert "nord" in {o["region"] for o in everyone}
