"""Contacts submitted straight to Kafka (docs/adapters.md, "Publishing straight to Kafka"), on a
real secured broker: each adapter signs in as its own principal through the library
(pkc/adapter_kafka.py), intake (its app, lifespan and all) takes the submissions as its own,
and what it refuses reaches its DLQ with the reason, never the citizen's words."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError
from fastapi.testclient import TestClient

from pkc.adapter_kafka import KafkaSubmitter
from pkc.localkafka import LocalKafka
from pkc.platform import local_broker
from pkc.polling import poll
from schemas import ContactReceived, decode_event
from schemas.topics import CONTACTS_RECEIVED, INTAKE_SUBMISSIONS, SUBMISSIONS
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.settings import IntakeSettings
from tests.kafka_helpers import DeadLetter, Records, read_to_end, read_until

pytestmark = pytest.mark.kafka

TEXT = "Grannen Sven Svensson, 070-1234567, har slagit sönder min brevlåda"
PHONE = "adapter-phone"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    with local_broker(tmp_path_factory.mktemp("submissions-kafka"), secured=True) as secured:
        yield secured


@pytest.fixture(scope="module")
def intake(broker: LocalKafka, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    """Intake's app running (its lifespan starts the submissions consumer), as its principal."""
    own = broker.security("intake")
    settings = IntakeSettings(
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_security_protocol=own.protocol,
        kafka_username=own.username,
        kafka_password=own.password,
        state_dir=tmp_path_factory.mktemp("intake-state"),
        traces_exporter="none",
    )
    app = create_app(settings)
    with TestClient(app):
        running: Intake = app.state.intake
        yield running


def submission(key: str, **overrides: Any) -> dict[str, Any]:
    received = datetime.now(UTC) - timedelta(seconds=30)
    return {
        "idempotency_key": key,
        "source": "växel",
        "region": "ost",
        "channel": "phone",
        "text": TEXT,
        "received_at": received.isoformat(),
    } | overrides


def submit(broker: LocalKafka, *bodies: dict[str, Any], client: str = PHONE) -> list[uuid.UUID]:
    async def run() -> list[uuid.UUID]:
        async with KafkaSubmitter(broker.bootstrap, client, broker.security(client)) as adapter:
            return [await adapter.submit(body) for body in bodies]

    return asyncio.run(run())


def received(broker: LocalKafka, contact_id: uuid.UUID) -> list[ContactReceived]:
    """Every ContactReceived of the contact on the topic, once one is there."""

    def found(records: Records) -> bool:
        return any(_contact(r) == str(contact_id) for r in records)

    asyncio.run(read_until(broker.bootstrap, CONTACTS_RECEIVED.name, found, security=broker.admin))
    everything = asyncio.run(
        read_to_end(
            broker.bootstrap, CONTACTS_RECEIVED.name, CONTACTS_RECEIVED.partitions, 30, broker.admin
        )
    )
    events = [decode_event(r.value) for r in everything if _contact(r) == str(contact_id)]
    return [e for e in events if isinstance(e, ContactReceived)]


def _contact(record: Any) -> str | None:
    value: dict[str, Any] = json.loads(record.value)
    return value.get("contact_id")


def dead_letter(broker: LocalKafka, key: str) -> DeadLetter:
    """The dead letter of the submission keyed `key`, once it is there."""

    def found(records: Records) -> bool:
        return any(r.key == key.encode() for r in records)

    topic = INTAKE_SUBMISSIONS.dead_letter.name
    records = asyncio.run(read_until(broker.bootstrap, topic, found, security=broker.admin))
    return DeadLetter.of(next(r for r in records if r.key == key.encode()))


def settled(intake: Intake, more: int, before: int) -> None:
    """Waits until the consumer has accepted or let go `more` submissions since `before`."""
    consumer = intake.submissions
    poll(
        lambda: consumer.accepted + consumer.duplicates >= before + more,
        "intake to take the submissions",
        timeout=60,
    )


def test_a_submission_becomes_one_contact_received_stamped_by_intake(
    broker: LocalKafka, intake: Intake
) -> None:
    before = datetime.now(UTC)
    body = submission(f"one-{uuid.uuid4()}")
    (contact_id,) = submit(broker, body)
    (event,) = received(broker, contact_id)
    assert event.text == TEXT
    assert event.source == "växel"
    assert event.occurred_at == datetime.fromisoformat(body["received_at"])
    assert event.accepted_at is not None
    assert event.accepted_at >= before, "accepted_at is intake's clock, not the adapter's"
    # Its adapter reads its status (GET /contacts/{id} asks exactly this); another does not.
    status = intake.statuses.get(contact_id, PHONE)
    assert status is not None
    assert status.stage == "received"
    assert intake.statuses.get(contact_id, "adapter-mail") is None


def test_the_same_key_twice_is_one_contact(broker: LocalKafka, intake: Intake) -> None:
    before = intake.submissions.accepted + intake.submissions.duplicates
    body = submission(f"twice-{uuid.uuid4()}")
    first, again = submit(broker, body, body)
    assert first == again
    settled(intake, 2, before)
    assert len(received(broker, first)) == 1
    # Once more after it was published: let go, nothing new.
    submit(broker, body)
    settled(intake, 3, before)
    assert len(received(broker, first)) == 1


def test_a_key_reused_with_other_content_is_dead_lettered_and_not_published(
    broker: LocalKafka, intake: Intake
) -> None:
    key = f"reused-{uuid.uuid4()}"
    (contact_id,) = submit(broker, submission(key))
    assert len(received(broker, contact_id)) == 1
    submit(broker, submission(key, text="Något helt annat, ring 08-123 45 67"))
    letter = dead_letter(broker, key)
    assert letter.reason == (
        "rejected: IdempotencyKeyReused: idempotency_key already used for a different contact"
    )
    assert letter.consumer == INTAKE_SUBMISSIONS.group
    assert letter.topic == SUBMISSIONS[PHONE].name
    assert letter.value is not None
    assert b"08-123" not in letter.value, "intake's DLQ keeps no citizen's text"
    (event,) = received(broker, contact_id)
    assert event.text == TEXT


def test_received_at_outside_the_window_is_dead_lettered(
    broker: LocalKafka, intake: Intake
) -> None:
    key = f"old-{uuid.uuid4()}"
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    submit(broker, submission(key, received_at=hour_ago))
    letter = dead_letter(broker, key)
    assert letter.reason.startswith("rejected: ReceivedOutsideWindow: received_at must lie")
    assert hour_ago not in letter.reason


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (json.dumps(submission("bad-region", region="gotland")).encode(), "region"),
        (b"not json: " + TEXT.encode(), "json_invalid"),
    ],
)
def test_an_invalid_record_is_dead_lettered_naming_the_field(
    broker: LocalKafka, intake: Intake, value: bytes, field: str
) -> None:
    key = f"invalid-{uuid.uuid4()}"

    async def write_raw() -> None:  # what the library refuses to send, by hand
        producer = AIOKafkaProducer(
            bootstrap_servers=broker.bootstrap, **broker.security(PHONE).client_kwargs()
        )
        await producer.start()
        try:
            await producer.send_and_wait(SUBMISSIONS[PHONE].name, value, key=key.encode())
        finally:
            await producer.stop()

    asyncio.run(write_raw())
    letter = dead_letter(broker, key)
    assert letter.reason.startswith("rejected: ValidationError")
    assert field in letter.reason
    for secret in ("Sven", "070-1234567", "gotland"):
        assert secret not in letter.reason


def test_an_adapter_cannot_write_another_adapters_topic_nor_contacts_received(
    broker: LocalKafka, intake: Intake
) -> None:
    async def as_phone_into(topic: str) -> None:
        security = broker.security(PHONE)
        async with KafkaSubmitter(broker.bootstrap, PHONE, security, topic=topic) as adapter:
            await adapter.submit(submission(f"forged-{uuid.uuid4()}"))

    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(as_phone_into(SUBMISSIONS["adapter-mail"].name))
    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(as_phone_into(CONTACTS_RECEIVED.name))


def test_an_adapter_cannot_read_contacts_received(broker: LocalKafka, intake: Intake) -> None:
    async def read_as_phone() -> None:
        consumer = AIOKafkaConsumer(
            CONTACTS_RECEIVED.name,
            bootstrap_servers=broker.bootstrap,
            group_id=PHONE,
            auto_offset_reset="earliest",
            **broker.security(PHONE).client_kwargs(),
        )
        try:
            await consumer.start()
            for _ in range(100):  # the refusal comes with the first fetches
                await consumer.getmany(timeout_ms=200)
        finally:
            await consumer.stop()

    # It has no group and no topic to read: refused either way, never a record.
    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        asyncio.run(read_as_phone())


def test_a_contact_submitted_by_the_mail_adapter_is_the_mail_adapters(
    broker: LocalKafka, intake: Intake
) -> None:
    body = submission(f"mail-{uuid.uuid4()}", channel="mail")
    (contact_id,) = submit(broker, body, client="adapter-mail")
    (event,) = received(broker, contact_id)
    assert event.channel == "mail"
    assert intake.statuses.get(contact_id, "adapter-mail") is not None
    assert intake.statuses.get(contact_id, PHONE) is None
    # The same key from the phone adapter is the phone adapter's own contact.
    (phones,) = submit(broker, body)
    assert phones != contact_id
    assert len(received(broker, phones)) == 1
