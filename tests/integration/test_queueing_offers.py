"""The operator desk's presence and push offers through queueing's HTTP API, with real tokens
(Keycloak) on SQLite and PostgreSQL: an offer is pushed on the desk's stream, rejected (back
in its place, the operator not ready), taken by another operator, accepted, wrapped up; an
offer nobody accepts goes back by itself."""

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pkc.polling import poll
from schemas import Region
from services.queueing.app import app_for
from services.queueing.bootstrap import Queueing, bootstrap
from services.queueing.settings import QueueingSettings
from services.shared.clock import SimulatedClock
from tests.e2e.conftest import SIMULATED_START
from tests.identities import Identities
from tests.integration.routes_client import routes_client
from tests.queueing_contacts import classified

Desk = dict[str, Any]
# The desk's stream must not wait for its poll to see a contact queued here: with this poll,
# an offer seen within DEADLINE was pushed by the in-process notification.
POLL_SECONDS = 60.0
DEADLINE = 10.0


def client_for(
    identities: Identities, state_dir: Path, database_url: str, **desk: float
) -> Iterator[TestClient]:
    settings = QueueingSettings(
        state_dir=state_dir,
        database_url=database_url,
        oidc_issuer=identities.issuer,
        offer_poll_seconds=POLL_SECONDS,
        **desk,  # type: ignore[arg-type]
    )
    app = app_for(bootstrap(settings, SimulatedClock(SIMULATED_START)))
    with routes_client(app) as test_client:
        yield test_client


@pytest.fixture
def client(identities: Identities, state_dir: Path, database_url: str) -> Iterator[TestClient]:
    yield from client_for(
        identities, state_dir, database_url, offer_timeout_seconds=60, wrap_up_seconds=0.5
    )


@pytest.fixture
def hasty(identities: Identities, state_dir: Path, database_url: str) -> Iterator[TestClient]:
    """Offers time out after one second."""
    yield from client_for(identities, state_dir, database_url, offer_timeout_seconds=1)


class DeskStream:
    """An operator's offer stream, read on a thread into a queue so that the test waits for a
    message with a deadline. It ends when the desk says the operator signed out."""

    def __init__(self, client: TestClient, headers: dict[str, str]):
        self.messages: queue.Queue[Desk] = queue.Queue()
        self.opened = threading.Event()
        self.status = 0
        self.thread = threading.Thread(target=self._read, args=(client, headers), daemon=True)
        self.thread.start()
        assert self.opened.wait(DEADLINE), "the stream did not open"
        assert self.status == 200, self.status

    def _read(self, client: TestClient, headers: dict[str, str]) -> None:
        with client.stream("GET", "/operators/me/offers/stream", headers=headers) as stream:
            self.status = stream.status_code
            self.opened.set()
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    desk = json.loads(line.removeprefix("data: "))
                    self.messages.put(desk)
                    if desk["operator"] is None:
                        return

    def until(self, wanted: Callable[[Desk], bool], what: str) -> Desk:
        """The first message `wanted` accepts, within DEADLINE seconds."""
        deadline = time.monotonic() + DEADLINE
        while (left := deadline - time.monotonic()) > 0:
            try:
                desk = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if wanted(desk):
                return desk
        raise TimeoutError(f"no desk message with {what} within {DEADLINE} s")

    def offer(self) -> Desk:
        return self.until(lambda d: d["offer"] is not None, "an offer")["offer"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), "the stream did not end at sign-out"


def enqueue(
    client: TestClient, region: Region, waited: float, possible_emergency: bool = False
) -> uuid.UUID:
    core: Queueing = client.app.state.queueing  # type: ignore[attr-defined]
    now = core.clock.now()
    event = classified(region, waited=waited, at=now, possible_emergency=possible_emergency)
    core.contacts.enqueue(event, now)
    return event.contact_id


def sign_in(client: TestClient, identities: Identities, name: str, region: str) -> dict[str, str]:
    me = identities.person(f"desk-{name}", "operator", region)
    response = client.post("/operators/login", json={}, headers=me)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    return me


def me(client: TestClient, headers: dict[str, str]) -> Desk:
    response = client.get("/operators/me", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def audited(client: TestClient, identities: Identities, person: str) -> list[str]:
    """The kinds of the person's audit rows, newest first (read as an auditor)."""
    audit = client.get("/audit", params={"person": person}, headers=identities.person("auditor"))
    return [r["kind"] for r in audit.json()]


def sign_out(client: TestClient, desk: DeskStream, *operators: dict[str, str]) -> None:
    """Signs the operators out; the desk's stream ends with its operator's sign-out."""
    for headers in operators:
        assert client.post("/operators/me/logout", headers=headers).status_code == 200
    desk.close()


def test_a_rejected_offer_keeps_its_place_and_goes_to_the_next_ready_operator(
    client: TestClient, identities: Identities
) -> None:
    first = enqueue(client, Region.SYD, waited=300, possible_emergency=True)
    second = enqueue(client, Region.SYD, waited=30)
    rejecting = sign_in(client, identities, "rejecting", "syd")
    desk = DeskStream(client, rejecting)
    offer = desk.offer()
    assert offer["contact_id"] == str(first)
    assert offer["channel"] == "phone"
    assert offer["region"] == "syd"
    assert offer["queue"]
    assert offer["category"] == "case_help"
    assert offer["matter"] == "theft"
    assert offer["possible_emergency"] is True
    assert offer["low_confidence"] is False
    assert offer["waiting_seconds"] >= 300
    assert offer["priority"] == 3
    assert me(client, rejecting)["status"] == "offered"
    other = sign_in(client, identities, "other", "syd")
    not_yours = client.post(f"/contacts/{first}/accept", headers=other)
    assert not_yours.status_code == 403

    rejected = client.post(f"/contacts/{first}/reject", headers=rejecting)
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["pause_reason"]) == (
        "paused",
        "offer_declined",
    )
    desk.until(lambda d: d["offer"] is None and d["operator"]["status"] == "paused", "paused")
    # Back first in line: the next operator to ask gets it, not the younger contact.
    taken = client.post("/operators/me/next", headers=other)
    assert taken.status_code == 200
    assert taken.json()["contact_id"] == str(first)
    assert me(client, rejecting)["status"] == "paused", "not ready until they say so"

    assert client.post("/operators/me/ready", headers=rejecting).json()["status"] == "ready"
    assert desk.offer()["contact_id"] == str(second)
    kinds = audited(client, identities, "desk-rejecting")
    assert kinds[:4] == ["offered", "resumed", "offer_rejected", "offered"], kinds
    sign_out(client, desk, rejecting, other)


def test_an_accepted_offer_is_worked_then_wrapped_up_until_ready(
    client: TestClient, identities: Identities
) -> None:
    operator = sign_in(client, identities, "accepting", "nord")
    desk = DeskStream(client, operator)
    desk.until(lambda d: d["operator"]["status"] == "ready", "the operator ready")
    queued_at = time.monotonic()
    contact = enqueue(client, Region.NORD, waited=20)
    assert desk.offer()["contact_id"] == str(contact)
    # Seen well before the poll: the queueing of the contact woke the desk.
    assert time.monotonic() - queued_at < DEADLINE < POLL_SECONDS

    accepted = client.post(f"/contacts/{contact}/accept", headers=operator)
    assert accepted.status_code == 200
    assert accepted.json()["contact_id"] == str(contact)
    assert me(client, operator)["status"] == "busy"
    assert client.post(f"/contacts/{contact}/accept", headers=operator).status_code == 409
    assert client.post(f"/contacts/{contact}/answer", headers=operator).status_code == 200
    outcome = {"outcome": "information_given"}
    assert client.post(f"/contacts/{contact}/outcome", json=outcome, headers=operator).is_success
    wrapping = me(client, operator)
    assert wrapping["status"] == "wrap_up"
    assert wrapping["wrap_up_until"]
    # The desk shows the wrap-up and then, at its end (long before its poll), ready.
    desk.until(lambda d: d["operator"]["status"] == "wrap_up", "the wrap-up on the desk")
    desk.until(lambda d: d["operator"]["status"] == "ready", "ready after the wrap-up")
    poll(lambda: me(client, operator)["status"] == "ready", "the wrap-up to end", timeout=10)
    sign_out(client, desk, operator)


def test_an_offer_not_accepted_in_time_goes_back(hasty: TestClient, identities: Identities) -> None:
    operator = sign_in(hasty, identities, "slow", "vast")
    contact = enqueue(hasty, Region.VAST, waited=60)
    desk = DeskStream(hasty, operator)
    assert desk.offer()["contact_id"] == str(contact)
    timed_out = desk.until(lambda d: d["offer"] is None, "the offer gone")
    assert timed_out["operator"]["status"] == "paused"
    assert timed_out["operator"]["pause_reason"] == "offer_declined"
    state = hasty.get("/queues/vast", headers=operator).json()
    assert state["waiting_total"] == 1, "back in the queue"
    refused = hasty.post(f"/contacts/{contact}/accept", headers=operator)
    assert refused.status_code == 409, "too late"
    assert "offer_timed_out" in audited(hasty, identities, "desk-slow")
    sign_out(hasty, desk, operator)


def test_a_caller_hanging_up_while_offered_leaves_the_operator_ready(
    client: TestClient, identities: Identities
) -> None:
    operator = sign_in(client, identities, "left", "ost")
    contact = enqueue(client, Region.OST, waited=60)
    desk = DeskStream(client, operator)
    assert desk.offer()["contact_id"] == str(contact)
    hung_up = client.post(
        f"/contacts/{contact}/abandon", json={}, headers=identities.adapter("adapter-phone")
    )
    assert hung_up.status_code == 200, hung_up.text
    after = desk.until(lambda d: d["offer"] is None, "the offer gone")
    assert after["operator"]["status"] == "ready", "not blamed for the caller's hang-up"
    sign_out(client, desk, operator)
