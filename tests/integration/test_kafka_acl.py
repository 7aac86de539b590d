"""On a real secured broker: each service signs in as itself and is refused where the
registry grants it nothing (schemas/access.py)."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.conn import create_conn
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)

from pkc.localkafka import LocalKafka
from pkc.platform import local_broker
from pkc.polling import poll_async
from schemas import Channel, ContactReceived, Region
from schemas.topics import CONTACTS_RECEIVED, SLA_EVENTS
from services.shared.kafka import EventProducer, KafkaSecurity
from tests.kafka_helpers import read_until

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    with local_broker(tmp_path_factory.mktemp("secured-kafka"), secured=True) as broker:
        yield broker


async def read_as(broker: LocalKafka, principal: str, group: str, topic: str) -> int:
    """How many records `principal` reads from `topic` in `group`, once it reads any."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **broker.security(principal).client_kwargs(),
    )
    read = 0

    async def some_read() -> bool:
        nonlocal read
        batch = await consumer.getmany(timeout_ms=200)
        read += sum(len(records) for records in batch.values())
        return read > 0

    try:
        await consumer.start()  # inside: a refusal while joining still closes the consumer
        await poll_async(some_read, f"{principal} reading {topic}", timeout=30, interval=0)
    finally:
        await consumer.stop()
    return read


async def publish_as(broker: LocalKafka, principal: str) -> None:
    producer = EventProducer(broker.bootstrap, f"test-{principal}", broker.security(principal))
    await producer.start()
    try:
        text = f"a citizen's words, sent by the {principal} test"
        await producer.publish(
            ContactReceived(
                occurred_at=datetime.now(UTC),
                contact_id=uuid.uuid4(),
                region=Region.NORD,
                channel=Channel.E_SERVICE,
                source=principal,
                text=text,
            )
        )
    finally:
        await producer.stop()


async def test_intake_writes_the_citizens_text_and_triage_reads_it(secured: LocalKafka) -> None:
    await publish_as(secured, "intake")
    assert await read_as(secured, "triage", "triage", CONTACTS_RECEIVED.name) >= 1


@pytest.mark.parametrize("principal", ["notify", "queueing", "reporting"])
async def test_other_services_cannot_read_the_citizens_text(
    secured: LocalKafka, principal: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await read_as(secured, principal, principal, CONTACTS_RECEIVED.name)


async def test_a_service_cannot_read_in_another_services_group(secured: LocalKafka) -> None:
    # Notify may read the SLA events, but only as its own consumer group.
    with pytest.raises(GroupAuthorizationFailedError):
        await read_as(secured, "notify", "queueing", SLA_EVENTS.name)


@pytest.mark.parametrize("principal", ["queueing", "triage", "notify"])
async def test_only_intake_writes_the_citizens_text(secured: LocalKafka, principal: str) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await publish_as(secured, principal)
    # What was refused never reached the topic.
    records = await read_until(
        secured.bootstrap,
        CONTACTS_RECEIVED.name,
        lambda records: True,
        security=secured.admin,
    )
    assert not any(f"the {principal} test".encode() in (r.value or b"") for r in records)


async def test_a_wrong_password_is_refused_and_the_right_one_signs_in(
    secured: LocalKafka,
) -> None:
    host, port = secured.bootstrap.split(":")
    right = secured.security("intake")
    wrong = KafkaSecurity(right.protocol, right.mechanism, "intake", "not-" + str(uuid.uuid4()))
    with pytest.raises(SaslAuthenticationFailed):
        await create_conn(host, int(port), **wrong.client_kwargs())
    connection = await create_conn(host, int(port), **right.client_kwargs())
    connection.close()


def test_the_credentials_are_kept_private_and_out_of_the_log(secured: LocalKafka) -> None:
    home: Path = secured.home
    for private in ("credentials.json", "server.properties"):
        assert (home / private).stat().st_mode & 0o077 == 0, private
    log = secured.log_file.read_text(errors="replace")
    for password in secured.credentials.passwords.values():
        assert password not in log
