"""Records Faust dropped before reporting's agent are read again from the broker and counted
in their turn, before the record that revealed the skip (services/reporting/refetch.py)."""

import asyncio
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaProducer
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
    async def scenario() -> tuple[list[tuple[int, bytes]], int, list[int]]:
        topic = await _topic_with_records(kafka, 10)
        tp = TP(topic, 0)
        consumer = ConsumerWithAccount()
        consumer.handled.sought(tp, 0)
        counted: list[tuple[int, bytes]] = []

        async def handle(record: Any, span: Any) -> None:
            counted.append((record.message.offset, record.value))

        refetcher = Refetcher()
        refetcher.connect(kafka, PLAINTEXT)
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
