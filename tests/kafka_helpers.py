"""Reading topics in tests: poll with a deadline, never sleep."""

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


async def read_until(
    bootstrap: str,
    topic: str,
    predicate: "callable[[list[ConsumerRecord[bytes, bytes]]], bool]",  # type: ignore[valid-type]
    timeout: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Reads `topic` from the beginning until `predicate(records so far)` holds."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while not predicate(records):
                batch = await consumer.getmany(timeout_ms=200)
                for partition_records in batch.values():
                    records.extend(partition_records)
    except TimeoutError:
        raise AssertionError(f"condition on {topic} not met within {timeout} s") from None
    finally:
        await consumer.stop()
    return records


async def read_to_end(
    bootstrap: str, topic: str, partitions: int, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything on `topic` up to its end offsets as of the call."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    wanted = [TopicPartition(topic, p) for p in range(partitions)]
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        ends = await consumer.end_offsets(wanted)
        consumer.assign(wanted)
        await consumer.seek_to_beginning(*wanted)
        unread = {tp for tp, end in ends.items() if end > 0}
        async with asyncio.timeout(timeout):
            while unread:
                batch = await consumer.getmany(*unread, timeout_ms=200)
                for tp, partition_records in batch.items():
                    records.extend(r for r in partition_records if r.offset < ends[tp])
                    if partition_records and partition_records[-1].offset >= ends[tp] - 1:
                        unread.discard(tp)
    except TimeoutError:
        raise AssertionError(f"{topic} not read to its end within {timeout} s") from None
    finally:
        await consumer.stop()
    return records
