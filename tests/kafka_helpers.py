"""Reading topics and running consumers in tests: poll with a deadline, never sleep."""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from pkc.polling import poll_async
from schemas import Channel, ContactReceived, Region
from schemas.topics import Consumer, Topic
from services.reporting.bootstrap import MonthlyReader
from services.reporting.monthly import build_monthly_consumer
from services.reporting.settings import ReportingSettings
from services.shared.kafka import BatchConsumer, EventProducer, RetryPolicy
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity
from services.shared.kafka_admin import create_topics

Records = list[ConsumerRecord[bytes, bytes]]


async def read_until(
    bootstrap: str,
    topic: str,
    predicate: Callable[[Records], bool],
    timeout: float = 30.0,
    security: KafkaSecurity = PLAINTEXT,
) -> Records:
    """Reads `topic` from the beginning until `predicate(records so far)` holds (on a secured
    broker as `security`'s principal: the admin's, as a test reads what it likes)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **security.client_kwargs(),
    )
    records: Records = []

    async def read_more() -> bool:
        batch = await consumer.getmany(timeout_ms=200)
        for partition_records in batch.values():
            records.extend(partition_records)
        return predicate(records)

    await consumer.start()
    try:
        # getmany already waits up to 200 ms for records: no pause between reads.
        await poll_async(read_more, f"the condition on {topic}", timeout=timeout, interval=0)
    finally:
        await consumer.stop()
    return records


async def read_to_end(
    bootstrap: str,
    topic: str,
    partitions: int,
    timeout: float = 30.0,
    security: KafkaSecurity = PLAINTEXT,
) -> Records:
    """Everything on `topic` up to its end offsets as of the call."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **security.client_kwargs())
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
    finally:
        await consumer.stop()
    last = {tp.partition: end - 1 for tp, end in ends.items() if end > 0}

    def reached(records: Records) -> bool:
        furthest: dict[int, int] = {}
        for record in records:
            furthest[record.partition] = max(furthest.get(record.partition, -1), record.offset)
        return all(furthest.get(partition, -1) >= end for partition, end in last.items())

    records = await read_until(bootstrap, topic, reached, timeout, security)
    return [r for r in records if r.offset <= last.get(r.partition, -1)]


@dataclass(frozen=True)
class DeadLetter:
    """What a dead-letter record's headers say, as an operator reads them."""

    reason: str
    consumer: str
    topic: str
    partition: int
    offset: int
    failed_at: datetime
    attempts: int
    value: bytes | None

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> "DeadLetter":
        headers = {name: value.decode() for name, value in record.headers}
        return cls(
            reason=headers["dlq.reason"],
            consumer=headers["dlq.consumer"],
            topic=headers["dlq.topic"],
            partition=int(headers["dlq.partition"]),
            offset=int(headers["dlq.offset"]),
            failed_at=datetime.fromisoformat(headers["dlq.failed_at"]),
            attempts=int(headers["dlq.attempts"]),
            value=record.value,
        )


# Consumer tests give up on a failing record after two quick tries.
FAST_RETRY = RetryPolicy(attempts=2, first_backoff=0.01, max_backoff=0.05)


def contact(text: str) -> ContactReceived:
    """A contact whose text says what a consumer test does with it."""
    return ContactReceived(
        occurred_at=datetime.now(UTC),
        contact_id=uuid.uuid4(),
        region=Region.SYD,
        channel=Channel.PHONE,
        source="test",
        text=text,
    )


async def fresh_consumer_spec(bootstrap: str, service: str = "triage") -> Consumer:
    """A private topic and group per test, so tests never see each other's records."""
    name = f"test.{uuid.uuid4().hex[:8]}"
    topic = Topic(name, 1, "contact_id", (ContactReceived,))
    # triage: the one service that may read the text these records carry (a DLQ of another
    # drops it: tests/integration/test_dead_letter_privacy.py)
    spec = Consumer(f"dlqtest-{name}", service, (topic,))
    await create_topics(bootstrap, (topic, spec.dead_letter))
    return spec


async def run_until(consumer: BatchConsumer[Any], done: Callable[[], bool]) -> None:
    """Runs the consumer until `done` (it exposes counters, not events: they are polled)."""

    async def finished() -> bool:
        return done()

    task = asyncio.create_task(consumer.run())
    try:
        await poll_async(finished, "the consumer to handle the records", timeout=30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def count_month(
    reader: MonthlyReader, settings: ReportingSettings, timeout: float = 90
) -> None:
    """Runs the monthly consumer until the store has counted every record on its topics
    (failing after `timeout` seconds)."""
    producer = EventProducer(settings.kafka_bootstrap_servers, "test-monthly")
    await producer.start()
    consumer = build_monthly_consumer(settings, reader.policy, reader.store, producer)
    running = asyncio.create_task(consumer.run())

    async def counted() -> bool:
        if running.done():
            running.result()  # its failure, not a time-out
        return (await reader.lag.measure()).total == 0

    try:
        await poll_async(counted, "the monthly consumer caught up", timeout=timeout, interval=0.2)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.stop()
