"""Records Faust dropped before reporting's agent are read again from the broker and counted
in their turn, before the record that revealed the skip (services/reporting/refetch.py)."""

import asyncio
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faust.types import TP

from schemas import ContactReceived
from schemas.topics import Topic
from services.reporting.refetch import Refetcher
from services.reporting.rewind import Handled
from services.shared.kafka.security import PLAINTEXT
from services.shared.kafka_admin import create_topics


class ConsumerWithAccount:
    """What the agent sees of rewind.RewindingConsumer: its account of the offsets taken."""

    def __init__(self) -> None:
        self.handled = Handled()
        self.acknowledged: list[int] = []

    def acknowledge(self, tp: TP, start: int, end: int) -> None:
        self.acknowledged += range(start, end)


class Message:
    def __init__(self, tp: TP, offset: int):
        self.tp, self.offset = tp, offset


async def _topic_with_records(bootstrap: str, count: int) -> str:
    name = f"test.refetch.{uuid4().hex[:8]}"
    await create_topics(bootstrap, (Topic(name, 1, "region", (ContactReceived,)),))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(name, f"record {n}".encode(), partition=0)
    finally:
        await producer.stop()
    return name


def test_records_skipped_before_the_agent_are_counted_first_and_in_order(kafka: str) -> None:
    async def scenario() -> tuple[list[tuple[int, bytes]], int | None, list[int]]:
        topic = await _topic_with_records(kafka, 10)
        tp = TP(topic, 0)
        consumer = ConsumerWithAccount()
        consumer.handled.sought(tp, 0)
        counted: list[tuple[int, bytes]] = []

        async def handle(record: Any, span: Any) -> None:
            counted.append((record.message.offset, record.value))

        refetcher = Refetcher()
        refetcher.connect(kafka, PLAINTEXT, group=f"test-refetch-{uuid4().hex[:8]}")
        try:
            for offset in (0, 1, 2, 7):  # Faust dropped 3-6 on their way to the agent
                await refetcher.fill(consumer, Message(tp, offset), handle, span=None)
                counted.append((offset, f"record {offset}".encode()))
        finally:
            await refetcher.stop()
        return counted, consumer.handled.committable(tp, 8), consumer.acknowledged

    counted, committable, acknowledged = asyncio.run(scenario())
    assert [offset for offset, _ in counted] == list(range(8))
    assert counted[3:7] == [(n, f"record {n}".encode()) for n in range(3, 7)]
    assert committable == 8  # filled: the commit may pass them now
    assert acknowledged == [3, 4, 5, 6]  # and Faust's own account has them


async def _commit(bootstrap: str, group: str, topic: str, offset: int) -> None:
    """The group's committed offset for partition 0 of `topic`, as the agent's group commits."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.commit({partition: offset})
    finally:
        await consumer.stop()


def _first_records_after_a_revoke(
    bootstrap: str, committed: int | None, offsets: tuple[int, ...]
) -> tuple[list[int], list[int]]:
    """The agent takes `offsets` of a partition just revoked and assigned again, before its
    seek was accounted for (its account knows no next offset): which offsets were counted, in
    order, and which the commit may pass."""

    async def scenario() -> tuple[list[int], list[int]]:
        topic = await _topic_with_records(bootstrap, 10)
        group = f"test-refetch-{uuid4().hex[:8]}"
        if committed is not None:
            await _commit(bootstrap, group, topic, committed)
        tp = TP(topic, 0)
        consumer = ConsumerWithAccount()
        consumer.handled.sought(tp, 4)
        consumer.handled.sought(tp, None)  # revoked: the next assignment seeks it again
        counted: list[int] = []

        async def handle(record: Any, span: Any) -> None:
            counted.append(record.message.offset)

        refetcher = Refetcher()
        refetcher.connect(bootstrap, PLAINTEXT, group)
        try:
            for offset in offsets:
                await refetcher.fill(consumer, Message(tp, offset), handle, span=None)
                counted.append(offset)
        finally:
            await refetcher.stop()
        return counted, consumer.acknowledged

    return asyncio.run(scenario())


def test_a_record_taken_before_its_partitions_seek_first_counts_those_after_the_commit(
    kafka: str,
) -> None:
    # Faust dropped 3-6 while the partition recovered, and 7 reached the agent before the seek
    # to the committed offset (3) was accounted for: taken blind, 7 would make 3-6 replays.
    counted, acknowledged = _first_records_after_a_revoke(kafka, committed=3, offsets=(7, 8))
    assert counted == [3, 4, 5, 6, 7, 8]
    assert acknowledged == [3, 4, 5, 6]


def test_a_partition_its_group_never_committed_is_read_from_its_first_record(kafka: str) -> None:
    counted, _ = _first_records_after_a_revoke(kafka, committed=None, offsets=(2, 3))
    assert counted == [0, 1, 2, 3]


def test_a_record_at_the_committed_offset_is_no_skip(kafka: str) -> None:
    counted, acknowledged = _first_records_after_a_revoke(kafka, committed=5, offsets=(5, 6))
    assert counted == [5, 6]
    assert acknowledged == []


def test_a_partition_revoked_while_its_skipped_records_are_read_acknowledges_nothing(
    kafka: str,
) -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        topic = await _topic_with_records(kafka, 10)
        tp = TP(topic, 0)
        consumer = ConsumerWithAccount()
        consumer.handled.sought(tp, 0)
        counted: list[int] = []

        async def handle(record: Any, span: Any) -> None:
            counted.append(record.message.offset)
            if record.message.offset == 3:
                consumer.handled.sought(tp, None)  # a rebalance revokes the partition

        refetcher = Refetcher()
        refetcher.connect(kafka, PLAINTEXT, group=f"test-refetch-{uuid4().hex[:8]}")
        try:
            await refetcher.fill(consumer, Message(tp, 6), handle, span=None)
        finally:
            await refetcher.stop()
        return counted, consumer.acknowledged

    counted, acknowledged = asyncio.run(scenario())
    assert counted == [0, 1, 2, 3, 4, 5]  # the records in hand are still counted, in order
    assert acknowledged == []  # but the next assignment reads them again from the commit
