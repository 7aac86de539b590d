"""Reading topics in tests: poll with a deadline, never sleep."""

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord


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
