"""Reading topics in tests: poll with a deadline, never sleep."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from pkc.polling import poll_async
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity

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
