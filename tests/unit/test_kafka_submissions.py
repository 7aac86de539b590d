"""The pure parts of submitting contacts straight to Kafka (docs/adapters.md): the topics and
principals the registry declares, reading a record, judging its arrival, the contact id the
library promises and intake gives, and the library's check before anything is sent."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from pydantic import ValidationError

from pkc.adapter_kafka import KafkaSubmitter, submission_topic, validated
from schemas import Channel
from schemas.access import ADAPTERS, acls_for, allowed, principals_allowed
from schemas.submissions import ContactSubmission, adapter_client, kafka_adapter
from schemas.topics import (
    CONTACTS_RECEIVED,
    DAY_MS,
    INTAKE_SUBMISSIONS,
    SUBMISSIONS,
    TOPICS,
    all_topics,
)
from services.intake.domain import arrival, to_event
from services.intake.settings import IntakeSettings
from services.intake.submissions import read_submission
from services.shared.kafka import Failure, Refused
from services.shared.kafka.dead_letters import may_read_citizen_text, without_citizen_text
from services.shared.kafka.decoding import Record

TEXT = "Grannen heter Sven Svensson och ringer 070-1234567 om nätterna"


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "idempotency_key": "k-1",
        "source": "växel",
        "region": "syd",
        "channel": "phone",
        "text": TEXT,
    } | overrides


def record(value: bytes | None, topic: str = SUBMISSIONS["adapter-phone"].name) -> Record:
    return ConsumerRecord(topic, 0, 7, 0, 1, b"k-1", value, None, 0, 0, [])


def test_every_adapter_has_its_own_topic_kept_shorter_than_intakes_keys() -> None:
    assert set(SUBMISSIONS) == set(ADAPTERS) == {adapter_client(c) for c in Channel}
    key_days = IntakeSettings().key_retention_days
    for client, topic in SUBMISSIONS.items():
        assert topic.name == f"pkc.contacts.submitted.{client}"
        assert topic in TOPICS
        assert topic in all_topics()
        assert topic.retention_ms < key_days * DAY_MS, "a record must expire before its key"
        assert topic.append_time, "the broker, not the adapter, says when it arrived"
    assert INTAKE_SUBMISSIONS.service == "intake"
    assert set(INTAKE_SUBMISSIONS.topics) == set(SUBMISSIONS.values())
    assert INTAKE_SUBMISSIONS.dead_letter.retention_ms == 3 * DAY_MS


def test_an_adapter_writes_its_own_topic_only_and_reads_nothing() -> None:
    for client in ADAPTERS:
        acls = acls_for(client)
        writable = {t.name for t in all_topics() if allowed(acls, "topic", t.name, "Write")}
        assert writable == {SUBMISSIONS[client].name}, client
        assert not any(allowed(acls, "topic", t.name, "Read") for t in all_topics()), client
        assert not any(acl.resource == "group" for acl in acls), client
        assert allowed(acls, "cluster", "kafka-cluster", "IdempotentWrite")
    for topic in SUBMISSIONS.values():
        assert principals_allowed("topic", topic.name, "Read") == {"intake"}
    assert principals_allowed("group", INTAKE_SUBMISSIONS.group, "Read") == {"intake"}
    assert principals_allowed("topic", CONTACTS_RECEIVED.name, "Write") == {"intake"}


def test_a_record_is_read_as_the_contract_says() -> None:
    read = read_submission(record(json.dumps(body()).encode()))
    assert read.text == TEXT
    assert read.region.value == "syd"


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (json.dumps(body(region="gotland")).encode(), "region"),
        (json.dumps(body(text="x" * 10_001)).encode(), "text"),
        (json.dumps(body(extra=TEXT)).encode(), "extra"),
        (b"{not json " + TEXT.encode(), "json_invalid"),
    ],
)
def test_a_bad_record_is_refused_naming_the_field_never_the_text(value: bytes, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        read_submission(record(value))
    reason = Failure.rejected(raised.value).reason
    assert field in reason
    assert reason.startswith("rejected: ValidationError")
    for secret in ("Sven", "070-1234567", "gotland", "xxxx"):
        assert secret not in reason


def test_a_record_without_a_value_is_refused() -> None:
    with pytest.raises(Refused):
        read_submission(record(None))


def test_arrival_is_the_brokers_append_time_on_the_platforms_clock() -> None:
    now = datetime(2028, 3, 8, 9, tzinfo=UTC)
    real_now = 1_900_000_000.0
    assert arrival(now, None, real_now, 1.0) == now
    ten_seconds_ago = int((real_now - 10) * 1000)
    assert arrival(now, ten_seconds_ago, real_now, 1.0) == now - timedelta(seconds=10)
    # A clock at 60x: ten real seconds are ten simulated minutes.
    assert arrival(now, ten_seconds_ago, real_now, 60.0) == now - timedelta(minutes=10)
    # A broker clock ahead of intake's never puts an arrival in the future.
    assert arrival(now, int((real_now + 5) * 1000), real_now, 1.0) == now


def test_the_library_promises_the_id_intake_gives() -> None:
    submission = ContactSubmission.model_validate(body())
    submitter = KafkaSubmitter("127.0.0.1:1", "adapter-phone")
    now = datetime.now(UTC)
    assert to_event(submission, kafka_adapter("adapter-phone"), now).contact_id == (
        submitter.contact_id(submission)
    )
    # Another adapter's key, or the same adapter's by HTTP (its token subject), is another.
    other = KafkaSubmitter("127.0.0.1:1", "adapter-mail").contact_id(submission)
    assert other != submitter.contact_id(submission)
    subject = str(uuid.uuid4())
    assert to_event(submission, subject, now).contact_id != submitter.contact_id(submission)


async def test_the_library_refuses_a_bad_submission_before_sending_anything() -> None:
    submitter = KafkaSubmitter("127.0.0.1:1", "adapter-phone")  # never started: no broker
    with pytest.raises(ValidationError):
        await submitter.submit(body(channel="fax"))
    built = ContactSubmission.model_construct(**body(region="gotland"))  # skips the checks
    with pytest.raises(ValidationError):
        validated(built)
    with pytest.raises(RuntimeError):  # a valid one needs the producer
        await submitter.submit(body())


def test_an_unknown_adapter_has_no_topic() -> None:
    with pytest.raises(LookupError):
        submission_topic("adapter-fax")
    assert submission_topic("adapter-e-service") == "pkc.contacts.submitted.adapter-e-service"


def test_intakes_submission_dlq_keeps_no_citizens_text() -> None:
    # Intake reads the submissions but no topic the registry marks as the text's: its DLQ
    # copies lose the text (services/shared/kafka/dead_letters.py).
    assert not may_read_citizen_text(INTAKE_SUBMISSIONS.service)
    kept, done = without_citizen_text(json.dumps(body()).encode())
    assert done == "redacted"
    assert kept is not None
    assert TEXT.encode() not in kept
    assert json.loads(kept)["idempotency_key"] == "k-1"
