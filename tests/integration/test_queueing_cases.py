"""Cases the citizen follows, on queueing's API with a real broker, database and Keycloak
(docs/cases.md): a case an operator's outcome creates reaches queueing's consumer through
Kafka; the operator reads its secret; the citizen follows it with the secret and adds
information, which becomes a contact waiting in the case's region (a Queued event) that an
operator takes; notes and closing are idempotent under their Idempotency-Key; a wrong secret
is the same 404 as an unknown case, and too many of them from one address are refused."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.events import publish_timed
from pkc.polling import poll
from schemas import CaseCreated, MatterType, Region
from schemas.topics import CASES, QUEUE_EVENTS
from services.queueing.app import app_for
from services.queueing.bootstrap import Queueing, bootstrap
from services.queueing.settings import QueueingSettings
from services.shared.clock import SimulatedClock
from tests.e2e.conftest import SIMULATED_START
from tests.identities import Headers, Identities
from tests.kafka_helpers import Records, read_to_end, read_until
from tests.queueing_contacts import classified

pytestmark = pytest.mark.kafka
MAX_WRONG = 4


@pytest.fixture
def client(kafka: str, state_dir: Path, identities: Identities) -> Iterator[TestClient]:
    settings = QueueingSettings(
        kafka_bootstrap_servers=kafka,
        state_dir=state_dir,
        oidc_issuer=identities.issuer,
        case_max_wrong_secrets=MAX_WRONG,
    )
    with TestClient(app_for(bootstrap(settings, SimulatedClock(SIMULATED_START)))) as test_client:
        yield test_client


def operator(client: TestClient, identities: Identities, region: str) -> Headers:
    me = identities.person(f"t-case-{uuid.uuid4().hex[:6]}", "operator", region)
    assert client.post("/operators/login", json={}, headers=me).status_code == 200
    return me


def case_from_an_outcome(client: TestClient, identities: Identities) -> tuple[Headers, str]:
    """An operator in Väst answers a contact and files a report: the case's id."""
    core: Queueing = client.app.state.queueing  # type: ignore[attr-defined]
    now = core.clock.now()
    core.contacts.enqueue(classified(Region.VAST, waited=30, at=now), now)
    me = operator(client, identities, "vast")
    taken = client.post("/operators/me/next", headers=me).json()
    contact = taken["contact_id"]
    assert client.post(f"/contacts/{contact}/answer", headers=me).status_code == 200
    outcome = client.post(
        f"/contacts/{contact}/outcome", json={"outcome": "report_filed"}, headers=me
    )
    assert outcome.status_code == 200, outcome.text
    return me, outcome.json()["case_id"]


def secret_of(client: TestClient, staff: Headers, case: str) -> dict[str, Any]:
    """The case's secret, once queueing's consumer has read its CaseCreated off Kafka."""

    def read() -> dict[str, Any] | None:
        answer = client.get(f"/cases/{case}/secret", headers=staff)
        assert answer.status_code in (200, 404), answer.text
        return answer.json() if answer.status_code == 200 else None

    return poll(read, f"case {case} kept by queueing", timeout=60)


def published(kafka: str, topic: str, wanted: dict[str, object]) -> dict[str, Any]:
    def found(records: Records) -> bool:
        return any(_has(r.value, wanted) for r in records)

    records = asyncio.run(read_until(kafka, topic, found, timeout=60))
    return next(json.loads(r.value) for r in records if _has(r.value, wanted))


def _has(value: bytes | None, wanted: dict[str, object]) -> bool:
    if value is None:
        return False
    event = json.loads(value)
    return all(event.get(k) == v for k, v in wanted.items())


def test_a_citizen_follows_an_operators_case_and_adds_information_that_reaches_the_queue(
    client: TestClient, identities: Identities, kafka: str
) -> None:
    me, case_id = case_from_an_outcome(client, identities)
    told = secret_of(client, me, case_id)
    reference, secret = told["case_number"], told["secret"]
    citizen = {"X-Case-Secret": secret.lower().replace("-", " ")}  # as a person may type it

    followed = client.get(f"/cases/{reference}", headers=citizen)

    assert followed.status_code == 200, followed.text
    view = followed.json()
    assert (view["status"], view["region"]) == ("open", "vast")
    assert [(e["kind"], e["by"]) for e in view["history"]] == [("created", "operator")]
    assert "no-store" in followed.headers["Cache-Control"]
    words = "Jag hittade kvittot på cykeln, ram nummer WBK123."
    key = {**citizen, "Idempotency-Key": str(uuid.uuid4())}
    added = client.post(f"/cases/{reference}/information", json={"text": words}, headers=key)
    assert added.status_code == 201, added.text
    again = client.post(f"/cases/{reference}/information", json={"text": words}, headers=key)
    assert again.status_code == 201
    assert again.json() == added.json(), "a retry adds nothing"

    record = client.get(f"/cases/{case_id}/record", headers=me).json()
    (information,) = [e for e in record["history"] if e["kind"] == "information"]
    assert information["text"] == words, "the operator reads the citizen's words"
    contact = information["contact_id"]
    queued = published(kafka, QUEUE_EVENTS.name, {"event_type": "Queued", "contact_id": contact})
    assert (queued["region"], queued["channel"], queued["category"]) == (
        "vast",
        "e_service",
        "case_help",
    )
    updated = published(kafka, CASES.name, {"event_type": "CaseUpdated", "case_id": case_id})
    assert (updated["kind"], updated["by"], updated["contact_id"]) == (
        "information",
        "citizen",
        contact,
    )
    assert words not in json.dumps(updated), "the citizen's words stay out of events"
    colleague = operator(client, identities, "vast")
    taken = client.post("/operators/me/next", headers=colleague)
    assert taken.status_code == 200, "an operator in Väst gets the information on their desk"
    assert (taken.json()["contact_id"], taken.json()["channel"]) == (contact, "e_service")
    seen = client.get(f"/cases/{reference}", headers=citizen).json()
    assert [e["kind"] for e in seen["history"]] == ["created", "information"]
    assert all(e["text"] is None for e in seen["history"])


def test_notes_and_closing_are_idempotent_and_the_citizen_sees_only_visible_notes(
    client: TestClient, identities: Identities, kafka: str
) -> None:
    me, case_id = case_from_an_outcome(client, identities)
    told = secret_of(client, me, case_id)
    citizen = {"X-Case-Secret": told["secret"]}
    key = {**me, "Idempotency-Key": str(uuid.uuid4())}
    visible = {"text": "Vi har tagit emot din anmälan.", "visible_to_citizen": True}
    first = client.post(f"/cases/{case_id}/notes", json=visible, headers=key)
    assert first.status_code == 201, first.text
    retried = client.post(f"/cases/{case_id}/notes", json=visible, headers=key)
    assert retried.json()["event_id"] == first.json()["event_id"], "a lost response, retried"
    other = client.post(f"/cases/{case_id}/notes", json={"text": "x"}, headers=key)
    assert other.status_code == 409, "the key of another request"
    internal = {"text": "Internal: check CCTV.", "visible_to_citizen": False}
    assert client.post(f"/cases/{case_id}/notes", json=internal, headers=me).status_code == 201

    close_key = {**me, "Idempotency-Key": str(uuid.uuid4())}
    closed = client.post(f"/cases/{case_id}/close", json={"reason": "handled"}, headers=close_key)
    assert closed.status_code == 200, closed.text
    reclosed = client.post(f"/cases/{case_id}/close", json={"reason": "handled"}, headers=close_key)
    assert reclosed.json()["event_id"] == closed.json()["event_id"]
    assert (
        client.post(f"/cases/{case_id}/close", json={"reason": "handled"}, headers=me).status_code
        == 409
    )
    late = client.post(
        f"/cases/{told['case_number']}/information", json={"text": "hej"}, headers=citizen
    )
    assert late.status_code == 409, "a closed case takes no more information"

    view = client.get(f"/cases/{told['case_number']}", headers=citizen).json()
    assert (view["status"], view["close_reason"]) == ("closed", "handled")
    assert [(e["kind"], e["text"]) for e in view["history"]] == [
        ("created", None),
        ("note", "Vi har tagit emot din anmälan."),
        ("closed", None),
    ]
    staff = client.get(f"/cases/{case_id}/record", headers=me).json()
    assert [e["kind"] for e in staff["history"]].count("note") == 2
    closing = published(kafka, CASES.name, {"event_type": "CaseClosed", "case_id": case_id})
    assert closing["event_id"] == closed.json()["event_id"]
    notes = [
        e for e in _all(kafka) if e.get("case_id") == case_id and e["event_type"] == "CaseUpdated"
    ]
    assert len(notes) == 2, "one event per note, the retry none"


def _all(kafka: str) -> list[dict[str, Any]]:
    records = asyncio.run(read_to_end(kafka, CASES.name, CASES.partitions))
    return [json.loads(r.value) for r in records if r.value is not None]


def test_an_e_service_case_is_followed_and_a_wrong_secret_is_an_unknown_case(
    client: TestClient, identities: Identities, kafka: str
) -> None:
    case_id = uuid.uuid4()
    created = CaseCreated(
        occurred_at=SIMULATED_START,
        case_id=case_id,
        contact_id=uuid.uuid4(),
        region=Region.SYD,
        case_number=f"K{case_id.int % 10**7:07d}-26",
        matter=MatterType.THEFT,
        created_by="e_service",
    )
    asyncio.run(publish_timed(kafka, "test-cases", [created], CASES))  # as triage publishes it
    supervisor = identities.person("supervisor-national")
    told = secret_of(client, supervisor, str(case_id))
    reference = told["case_number"]
    right = client.get(f"/cases/{reference}", headers={"X-Case-Secret": told["secret"]})
    assert right.status_code == 200
    assert right.json()["history"][0]["by"] == "e_service"

    wrong = client.get(f"/cases/{reference}", headers={"X-Case-Secret": "AAAA-BBBB-CCCC-DDDD"})
    unknown = client.get("/cases/K0000000-99", headers={"X-Case-Secret": told["secret"]})
    missing = client.get(f"/cases/{reference}")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.json() == unknown.json() == missing.json()
    assert told["secret"] not in unknown.text

    # That was three wrong tries from this address; the limit is MAX_WRONG.
    refused = client.post(
        f"/cases/{reference}/information",
        json={"text": "gissning"},
        headers={"X-Case-Secret": "AAAA-BBBB-CCCC-DDDE"},
    )
    assert refused.status_code == 404
    limited = client.get(f"/cases/{reference}", headers={"X-Case-Secret": told["secret"]})
    assert limited.status_code == 429, "over the limit, even the right secret waits"
    assert "Retry-After" in limited.headers
