"""Bulk sends (services/shared/kafka/bulk.py) on the real broker: what a reader sees is what
`EventProducer.enqueue` writes, event for event: the partition of each key, the order within a
partition, the `event_type` header, every event once."""

from collections import defaultdict
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from schemas import Channel, ContactReceived, Region
from schemas.topics import Topic
from services.shared.kafka import EventProducer, Record, decode
from services.shared.kafka_admin import create_topics
from services.shared.kafka_tuning import ProducerTuning
from tests.kafka_helpers import read_until

pytestmark = pytest.mark.kafka
EVENTS = 700
PARTITIONS = 3


def contacts() -> list[ContactReceived]:
    regions = list(Region)
    return [
        ContactReceived(
            occurred_at=datetime.now(UTC),
            contact_id=uuid4(),
            region=regions[number % len(regions)],
            channel=Channel.PHONE,
            source="test",
            text=f"Min cykel blev stulen, anmälan nummer {number}",
        )
        for number in range(EVENTS)
    ]


def by_partition(records: list[Record]) -> dict[int, list[UUID]]:
    """Each partition's events in offset order."""
    placed: dict[int, list[tuple[int, UUID]]] = defaultdict(list)
    for record in records:
        placed[record.partition].append((record.offset, decode(record).event_id))
    return {partition: [i for _, i in sorted(pairs)] for partition, pairs in placed.items()}


async def test_bulk_sends_place_and_order_events_as_enqueue_does(kafka: str) -> None:
    suffix = uuid4().hex[:8]
    bulk_topic = Topic(f"test.bulk.{suffix}", PARTITIONS, "region", (ContactReceived,))
    one_by_one = Topic(f"test.enqueued.{suffix}", PARTITIONS, "region", (ContactReceived,))
    await create_topics(kafka, (bulk_topic, one_by_one))
    sent = contacts()
    # Small batches: several hand-overs per partition between flushes, and one mid-way.
    tuning = ProducerTuning(linger_ms=5, compression="zstd", batch_bytes=4096)
    producer = EventProducer(kafka, "test-bulk", tuning=tuning)
    await producer.start()
    try:
        sends = producer.bulk()
        for number, event in enumerate(sent):
            await sends.add(event, bulk_topic, wire=event.to_json() if number % 2 else None)
            if number == EVENTS // 3:
                assert await sends.flush() == number + 1
        assert await sends.flush() == EVENTS - (EVENTS // 3 + 1)
        assert sends.pending == 0
        for event in sent:
            await producer.enqueue(event, one_by_one)
    finally:
        await producer.stop()

    bulk = await read_until(kafka, bulk_topic.name, lambda r: len(r) >= EVENTS)
    enqueued = await read_until(kafka, one_by_one.name, lambda r: len(r) >= EVENTS)
    received = sorted((decode(r) for r in bulk), key=lambda e: e.event_id)
    assert received == sorted(sent, key=lambda e: e.event_id), "every event once, as sent"
    assert by_partition(bulk) == by_partition(enqueued), "same partitions, same order"
    assert len(by_partition(bulk)) == PARTITIONS  # seven regions over all three
    assert {dict(r.headers)["event_type"] for r in bulk} == {b"ContactReceived"}
