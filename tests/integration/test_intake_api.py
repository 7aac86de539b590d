"""Intake's HTTP contract on real Kafka: accepted means published; bad input publishes nothing."""

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pkc.polling import poll
from schemas import ContactReceived, decode_event
from schemas.topics import CONTACTS_RECEIVED
from services.intake.app import create_app
from services.intake.domain import contact_id_for
from services.intake.settings import IntakeSettings
from tests.identities import Identities
from tests.kafka_helpers import read_to_end, read_until

pytestmark = pytest.mark.kafka


@contextmanager
def intake_client(
    kafka: str, state_dir: Path, identities: Identities, **settings: Any
) -> Iterator[TestClient]:
    """Intake as the phone adapter's service account calls it (its token on every request)."""
    configured = IntakeSettings(
        kafka_bootstrap_servers=kafka,
        state_dir=state_dir,
        oidc_issuer=identities.issuer,
        **settings,
    )
    with TestClient(create_app(configured), headers=identities.adapter()) as test_client:
        yield test_client


@pytest.fixture
def client(kafka: str, state_dir: Path, identities: Identities) -> Iterator[TestClient]:
    with intake_client(kafka, state_dir, identities) as test_client:
        yield test_client


def body(key: str, **overrides: Any) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "source": "intake-test",
        "region": "nord",
        "channel": "phone",
        "text": "Min bil har blivit repad på parkeringen",
    } | overrides


def published(kafka: str, contact_ids: set[str]) -> list[ContactReceived]:
    """The ContactReceived events on the topic for these contacts (reads until all are there)."""

    def has_all(records: list[Any]) -> bool:
        seen = {json.loads(r.value)["contact_id"] for r in records}
        return contact_ids <= seen

    records = asyncio.run(read_until(kafka, CONTACTS_RECEIVED.name, has_all))
    events = [decode_event(r.value) for r in records]
    return [
        e for e in events if isinstance(e, ContactReceived) and str(e.contact_id) in contact_ids
    ]


def test_an_accepted_contact_is_in_kafka_and_a_retry_publishes_nothing_new(
    client: TestClient, kafka: str
) -> None:
    first = client.post("/contacts", json=body("retry-1"))
    again = client.post("/contacts", json=body("retry-1"))
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"contact_id": first.json()["contact_id"], "duplicate": True}
    events = published(kafka, {first.json()["contact_id"]})
    assert len(events) == 1
    assert events[0].region.value == "nord"


def test_a_reused_key_with_other_content_is_a_conflict(client: TestClient) -> None:
    assert client.post("/contacts", json=body("reuse-1")).status_code == 202
    other = client.post("/contacts", json=body("reuse-1", text="något annat"))
    assert other.status_code == 409


def test_of_requests_racing_with_one_key_and_different_content_one_is_accepted(
    client: TestClient, kafka: str, identities: Identities
) -> None:
    texts = [f"Min cykel är stulen, variant {i}" for i in range(8)]
    start = threading.Barrier(len(texts))

    def post(text: str) -> int:
        start.wait()
        response = client.post("/contacts", json=body("race-1", text=text))
        code: int = response.status_code
        return code

    with ThreadPoolExecutor(len(texts)) as pool:
        codes = list(pool.map(post, texts))
    assert sorted(codes) == [202] + [409] * 7, "only one content may hold the key"
    contact_id = contact_id_for(identities.subject(identities.adapter()), "intake-test", "race-1")
    records = asyncio.run(read_to_end(kafka, CONTACTS_RECEIVED.name, CONTACTS_RECEIVED.partitions))
    events = [decode_event(r.value) for r in records]
    mine = [e for e in events if isinstance(e, ContactReceived) and e.contact_id == contact_id]
    assert len(mine) == 1, "a refused content was published too"
    assert mine[0].text == texts[codes.index(202)]


def test_bad_fields_are_named_and_never_echoed(client: TestClient) -> None:
    response = client.post(
        "/contacts",
        json=body("bad-1", region="gotland", channel="fax", text="ring 070-1234567"),
    )
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert fields == {("body", "region"), ("body", "channel")}
    assert "070-1234567" not in response.text
    assert "gotland" not in response.text


def test_an_oversized_body_is_refused_before_parsing(client: TestClient) -> None:
    response = client.post("/contacts", json=body("big-1", text="x" * 40_000))
    assert response.status_code == 413


def test_an_oversized_body_sent_in_chunks_without_a_length_is_refused_as_too_large(
    client: TestClient,
) -> None:
    encoded = json.dumps(body("big-2", text="x" * 100_000)).encode()
    chunks = (encoded[i : i + 8192] for i in range(0, len(encoded), 8192))
    response = client.post(
        "/contacts", content=chunks, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_text_over_ten_thousand_characters_is_refused(client: TestClient) -> None:
    response = client.post("/contacts", json=body("long-1", text="å" * 10_001))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "text"]


def test_only_an_adapter_with_a_valid_token_may_submit(
    client: TestClient, identities: Identities
) -> None:
    anonymous = TestClient(client.app)
    assert anonymous.post("/contacts", json=body("auth-1")).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    refused = anonymous.post("/contacts", json=body("auth-1"), headers=wrong)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the token is not a well-formed JWT"
    operator = identities.person("operator-stockholm-1")
    not_an_adapter = anonymous.post("/contacts", json=body("auth-1"), headers=operator)
    assert not_an_adapter.status_code == 403
    assert not_an_adapter.json()["detail"] == "this needs the role adapter"


def test_malformed_json_is_a_clear_client_error(client: TestClient) -> None:
    response = client.post(
        "/contacts", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "received_at", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:55:00Z", "1899-06-01T12:00:00Z"]
)
def test_a_receipt_time_outside_the_platform_s_years_is_refused_by_name(
    client: TestClient, received_at: str
) -> None:
    response = client.post("/contacts", json=body("when-1", received_at=received_at))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "received_at"]


@pytest.mark.parametrize("off_by", [timedelta(minutes=6), -timedelta(minutes=6)])
def test_a_receipt_time_beyond_the_skew_window_either_way_is_refused_by_name(
    client: TestClient, off_by: timedelta
) -> None:
    """Ahead, it would claim a wait not yet begun; behind, one the citizen never had."""
    received_at = (datetime.now(UTC) + off_by).isoformat()
    response = client.post("/contacts", json=body("when-2", received_at=received_at))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail == "received_at must lie within 5 minutes of the platform's clock"
    accepted = client.post("/contacts", json=body("when-2", received_at=_now()))
    assert accepted.status_code == 202


def test_a_retry_of_an_accepted_contact_after_the_window_gets_the_first_answer(
    kafka: str, state_dir: Path, identities: Identities
) -> None:
    """An adapter whose answer was lost retries with the same body until intake answers; if
    that takes longer than the window (here: the window narrowed between the two attempts),
    the contact is still the one accepted, not refused and not published again."""
    first = body("when-4", received_at=(datetime.now(UTC) - timedelta(minutes=3)).isoformat())
    with intake_client(kafka, state_dir, identities) as client:
        accepted = client.post("/contacts", json=first)
    assert accepted.status_code == 202
    with intake_client(kafka, state_dir, identities, received_at_skew_seconds=60) as client:
        retried = client.post("/contacts", json=first)
        assert retried.status_code == 200
        assert retried.json()["contact_id"] == accepted.json()["contact_id"]
        other = client.post("/contacts", json=first | {"idempotency_key": "when-5"})
        assert other.status_code == 422  # a new contact that old is still refused
    assert len(published(kafka, {accepted.json()["contact_id"]})) == 1


def _now() -> str:
    return datetime.now(UTC).isoformat()


def test_a_backdated_receipt_within_the_window_keeps_its_wait_and_carries_intake_s_time(
    client: TestClient, kafka: str
) -> None:
    """received_at (the adapter's) stays the start of the wait; accepted_at is intake's own
    clock, which the queue ranks by, so backdating buys no place in the queue."""
    backdated = datetime.now(UTC) - timedelta(minutes=4)
    before = datetime.now(UTC)
    response = client.post("/contacts", json=body("when-3", received_at=backdated.isoformat()))
    assert response.status_code == 202
    [event] = published(kafka, {response.json()["contact_id"]})
    assert event.occurred_at == backdated
    assert event.accepted_at is not None
    assert before <= event.accepted_at <= datetime.now(UTC)


def test_a_slow_database_does_not_stop_intake_answering_others(
    client: TestClient, kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim is a blocking database call: while one waits on the database, the event loop
    still serves other requests (were it run on the loop, /healthz would wait for it)."""
    accepted = client.app.state.intake.accepted  # type: ignore[attr-defined]
    claim, entered, release = accepted.claim_all, threading.Event(), threading.Event()

    def slow_claim(*args: Any) -> Any:
        entered.set()
        if not release.wait(10):
            raise TimeoutError("the loop never served /healthz while the claim waited")
        return claim(*args)

    monkeypatch.setattr(accepted, "claim_all", slow_claim)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.post, "/contacts", json=body("slow-1"))
        assert entered.wait(10)
        assert client.get("/healthz").status_code == 200
        release.set()
        response = pending.result()
    assert response.status_code == 202
    assert len(published(kafka, {response.json()["contact_id"]})) == 1


def test_an_adapters_idempotency_keys_are_its_own(
    client: TestClient, identities: Identities
) -> None:
    """Another adapter using the same source and key gets a contact of its own: it can neither
    claim the first adapter's contact nor learn that it exists (no 409, no shared id)."""
    phone = client.post("/contacts", json=body("shared-key-1"))
    mail = client.post(
        "/contacts",
        json=body("shared-key-1", text="annat"),
        headers=identities.adapter("adapter-mail"),
    )
    assert phone.status_code == mail.status_code == 202
    assert phone.json()["contact_id"] != mail.json()["contact_id"]


def test_a_publish_past_its_deadline_is_a_503_and_the_retries_publish_once(
    kafka: str, state_dir: Path, identities: Identities, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broker that does not confirm: the adapter hears 503 with Retry-After within the
    deadline instead of hanging; its retries wait on the one send under way (never a second
    copy), and once the broker confirms, a retry is told the contact is accepted."""
    with intake_client(kafka, state_dir, identities, publish_deadline_seconds=0.5) as client:
        intake = client.app.state.intake  # type: ignore[attr-defined]
        publish, confirm, sends = intake.producer.publish, threading.Event(), []

        async def unconfirmed(event: Any) -> None:
            sends.append(event.contact_id)
            await asyncio.to_thread(confirm.wait, 30)
            await publish(event)

        monkeypatch.setattr(intake.producer, "publish", unconfirmed)
        for _ in range(2):
            began = time.monotonic()
            refused = client.post("/contacts", json=body("deadline-1"))
            assert refused.status_code == 503
            assert time.monotonic() - began < 0.5 + 1
            assert refused.headers["Retry-After"] == "5"
            assert "retry with the same idempotency_key" in refused.json()["detail"]
        assert len(sends) == 1, "a retry sent a second copy"
        confirm.set()
        poll(lambda: intake.publications.in_flight() == 0, "the send to be confirmed")
        retried = client.post("/contacts", json=body("deadline-1"))
        assert retried.status_code == 200
        assert retried.json()["contact_id"] == str(sends[0])
    assert len(published(kafka, {str(sends[0])})) == 1
    assert len(sends) == 1


def test_ready_only_while_the_broker_answers(client: TestClient) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"producer": True, "broker": True, "database": True}
