"""The shared consumer on real Kafka: poison records go to the DLQ and the partition flows on."""

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.exc import OperationalError

from schemas import ContactReceived
from schemas.envelope import Event
from services.reporting.monthly.aggregation import Aggregation, Effect, EventKey
from services.reporting.monthly.consumer import MonthlyConsumer
from services.reporting.monthly.store import MonthlyStore
from services.shared.db import make_engine
from services.shared.kafka import (
    EventConsumer,
    EventProducer,
    PermanentError,
)
from tests.kafka_helpers import (
    FAST_RETRY,
    DeadLetter,
    contact,
    fresh_consumer_spec,
    read_until,
    run_until,
)

pytestmark = pytest.mark.kafka


async def test_poison_and_failing_records_are_dead_lettered_and_the_rest_flows(
    kafka: str,
) -> None:
    spec = await fresh_consumer_spec(kafka)
    topic = spec.topics[0].name
    handled: list[str] = []

    async def handler(event: Event) -> None:
        assert isinstance(event, ContactReceived)
        if event.text == "reject":
            raise PermanentError("rejected by the test")
        if event.text == "always fails":
            raise RuntimeError("database down")
        handled.append(event.text)

    raw = AIOKafkaProducer(bootstrap_servers=kafka)
    await raw.start()
    for value in [
        contact("first").to_json(),
        b"not json at all",
        b'{"event_type": "ContactReceived", "schema_version": 1}',
        contact("reject").to_json(),
        contact("always fails").to_json(),
        contact("last").to_json(),
    ]:
        await raw.send_and_wait(topic, value)
    await raw.stop()

    began = datetime.now(UTC)
    producer = EventProducer(kafka, "test")
    await producer.start()
    consumer = EventConsumer(spec, kafka, handler, producer, retry=FAST_RETRY)
    await run_until(consumer, lambda: "last" in handled)
    await producer.stop()

    assert handled == ["first", "last"], "valid records on both sides of the poison are handled"
    records = await read_until(kafka, spec.dead_letter.name, lambda r: len(r) >= 4)
    dead = [DeadLetter.of(r) for r in records]
    assert dead[0].reason.startswith("not JSON")
    assert dead[1].reason.startswith("invalid ContactReceived")
    assert dead[2].reason == "rejected: rejected by the test"
    assert dead[3].reason.startswith("failed after 2 attempts: RuntimeError")
    assert [d.attempts for d in dead] == [1, 1, 1, 2], "undecodable and rejected: tried once"
    assert dead[0].value == b"not json at all", "the original record is kept for inspection"
    assert [d.offset for d in dead] == [1, 2, 3, 4]
    assert all(d.topic == topic and d.consumer == spec.group for d in dead)
    assert all(began <= d.failed_at <= datetime.now(UTC) for d in dead)


async def test_a_service_not_allowed_the_citizen_text_dead_letters_without_it(
    kafka: str,
) -> None:
    spec = await fresh_consumer_spec(kafka, service="notify")

    async def refusing(event: Event) -> None:
        raise PermanentError("not notify's business")

    producer = EventProducer(kafka, "test")
    await producer.start()
    await producer.publish(contact("Anna Svensson, 070-1234567"), spec.topics[0])
    consumer = EventConsumer(spec, kafka, refusing, producer, retry=FAST_RETRY)
    await run_until(consumer, lambda: consumer.dead_letters.written == 1)
    await producer.stop()

    records = await read_until(kafka, spec.dead_letter.name, lambda r: len(r) >= 1)
    assert records[0].value is not None
    assert b"Anna" not in records[0].value
    assert ("dlq.value", b"redacted") in list(records[0].headers)
    assert DeadLetter.of(records[0]).reason.startswith("rejected")


async def test_committed_records_are_not_handled_again_after_a_restart(kafka: str) -> None:
    spec = await fresh_consumer_spec(kafka)
    handled: list[str] = []

    async def handler(event: Event) -> None:
        assert isinstance(event, ContactReceived)
        handled.append(event.text)

    producer = EventProducer(kafka, "test")
    await producer.start()
    await producer.publish(contact("one"), spec.topics[0])
    first = EventConsumer(spec, kafka, handler, producer)
    await run_until(first, lambda: first.committed == 1)
    await producer.publish(contact("two"), spec.topics[0])
    await run_until(EventConsumer(spec, kafka, handler, producer), lambda: len(handled) >= 2)
    await producer.stop()
    assert handled == ["one", "two"]


async def test_a_failed_deferred_ack_is_handled_again_and_dead_lettered_if_it_keeps_failing(
    kafka: str,
) -> None:
    """Handlers may return their publish acks; a failed ack is not a lost record."""
    spec = await fresh_consumer_spec(kafka)
    calls: list[str] = []

    async def failing_ack() -> None:
        raise ConnectionError("broker went away")  # an outage: retried until it passes

    async def refused_ack() -> None:
        raise RuntimeError("record refused by the broker")

    async def fine_ack() -> None:
        return None

    async def handler(event: Event) -> Any:
        assert isinstance(event, ContactReceived)
        calls.append(event.text)
        if event.text == "never acked":
            return refused_ack()
        if event.text == "acked late" and calls.count(event.text) <= 3:
            return failing_ack()
        return fine_ack()

    raw = AIOKafkaProducer(bootstrap_servers=kafka)
    await raw.start()
    for text in ("acked late", "never acked", "fine"):
        await raw.send_and_wait(spec.topics[0].name, contact(text).to_json())
    await raw.stop()

    producer = EventProducer(kafka, "test")
    await producer.start()
    consumer = EventConsumer(spec, kafka, handler, producer, retry=FAST_RETRY)
    await run_until(consumer, lambda: consumer.committed >= 3)
    await producer.stop()

    assert calls.count("acked late") == 4, "handled again until the outage passed"
    assert calls.count("fine") == 1
    records = await read_until(kafka, spec.dead_letter.name, lambda r: len(r) >= 1)
    assert len(records) == 1
    dead = DeadLetter.of(records[0])
    assert dead.value is not None
    assert ContactReceived.model_validate_json(dead.value).text == "never acked"
    assert "RuntimeError" in dead.reason
    assert dead.attempts == 2, "handled again with the policy's tries once its ack failed"


async def test_a_locked_database_is_waited_out_in_order_and_nothing_is_dead_lettered(
    kafka: str,
) -> None:
    """A transient failure is retried far beyond the policy's attempts, with the partition
    paused (no later record overtakes) and the consumer saying it is degraded meanwhile."""
    spec = await fresh_consumer_spec(kafka)
    handled: list[str] = []
    outage = {"left": 12}
    degraded_seen: list[str] = []
    consumer: EventConsumer

    async def handler(event: Event) -> None:
        assert isinstance(event, ContactReceived)
        if event.text == "during the outage" and outage["left"] > 0:
            outage["left"] -= 1
            if consumer.degraded:
                degraded_seen.append(consumer.degraded)
                assert consumer._consumer is not None
                assert consumer._consumer.paused(), "the partitions wait while it lasts"
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
        handled.append(event.text)

    producer = EventProducer(kafka, "test")
    await producer.start()
    for text in ("before", "during the outage", "after"):
        await producer.publish(contact(text), spec.topics[0])
    consumer = EventConsumer(spec, kafka, handler, producer, retry=FAST_RETRY)
    await run_until(consumer, lambda: consumer.committed >= 3)
    await producer.stop()

    assert handled == ["before", "during the outage", "after"], "in order, none lost"
    assert outage["left"] == 0, "tried 13 times, far past the policy's 2 attempts"
    assert degraded_seen
    assert set(degraded_seen) == {"OperationalError"}
    assert consumer.degraded is None, "well again once it passed"
    assert consumer.dead_lettered == 0


class ContactsByText(Aggregation):
    """Counts each contact under its text; a text the rules cannot take is refused."""

    def counted(self, event: Event) -> tuple[EventKey, Effect] | None:
        assert isinstance(event, ContactReceived)
        if event.text == "no rule for this":
            raise ValueError("no rule")
        return EventKey.of(event), Effect(counts=((("syd", "2025-03", "contacts", event.text), 1),))


class StoreRefusing(MonthlyStore):
    """A store whose transaction fails whenever a batch holds the contact with this text."""

    def __init__(self, url: str, refused: uuid.UUID):
        super().__init__(make_engine(url))
        self.refused = refused

    def apply(
        self, effects: dict[EventKey, Effect], positions: dict[tuple[str, int], int] | None = None
    ) -> int:
        if any(key.event_id == self.refused for key in effects):
            raise RuntimeError("constraint violated")
        return super().apply(effects, positions)


async def test_the_monthly_consumer_dead_letters_with_the_same_writer_and_counts_the_rest(
    kafka: str, tmp_path: Path
) -> None:
    spec = await fresh_consumer_spec(kafka)
    refused = contact("refused by the store")
    store = StoreRefusing(f"sqlite:///{tmp_path / 'monthly.db'}", refused.event_id)
    raw = AIOKafkaProducer(bootstrap_servers=kafka)
    await raw.start()
    for value in [
        contact("first").to_json(),
        b"not json at all",
        contact("no rule for this").to_json(),
        refused.to_json(),
        contact("last").to_json(),
    ]:
        await raw.send_and_wait(spec.topics[0].name, value)
    await raw.stop()

    began = datetime.now(UTC)
    producer = EventProducer(kafka, "test")
    await producer.start()
    consumer = MonthlyConsumer(
        spec, kafka, store, ContactsByText(), producer, flush_seconds=0.05, retry=FAST_RETRY
    )
    await run_until(consumer, lambda: consumer.committed >= 5)
    await producer.stop()

    counted = store.counts(["2025-03"])["2025-03"]["syd"]
    assert set(counted) == {("contacts", "first"), ("contacts", "last")}
    records = await read_until(kafka, spec.dead_letter.name, lambda r: len(r) >= 3)
    dead = {d.offset: d for d in map(DeadLetter.of, records)}
    assert dead[1].reason.startswith("not JSON")
    assert dead[1].attempts == 1
    assert dead[2].reason == "rejected: ValueError: no rule"
    assert dead[2].attempts == 1
    assert dead[3].reason.startswith("failed after 3 attempts: RuntimeError")
    assert dead[3].attempts == 3, "the batch's two tries, then its own"
    # The batch kept only where the record was: it is read again from the broker.
    assert dead[3].value is not None
    assert json.loads(dead[3].value)["event_id"] == str(refused.event_id)
    assert all(d.consumer == spec.group and d.topic == spec.topics[0].name for d in dead.values())
    assert all(began <= d.failed_at <= datetime.now(UTC) for d in dead.values())
