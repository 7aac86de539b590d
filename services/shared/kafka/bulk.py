"""Bulk sends: events gathered into one record batch per partition and handed to the producer
whole, with aiokafka's batch API, for a writer of millions of events that waits on none of them
alone (`pkc replay`).

`EventProducer.enqueue` costs each event a future, a partition lookup (two sets of the topic's
partitions built per record) and a place in the accumulator, then a callback when its batch is
acknowledged: about a third of the replay's CPU in a profile of a month. Here an event is
appended to its partition's open batch, and only a full batch (or a `flush`) is handed over, with
one future for all its records. Everything a reader sees is the same as `enqueue` writes: the
key, the partition (`partition_for`, the Java client's choice), the `event_type` header and the
trace context, the producer's compression, acks=all and idempotence, and per partition the order
the events were added in. Two differences: an event over the broker's size limit is refused at
the flush, not when it is added; and a hand-over waits for the partition's previous batch for at
most the request timeout in all, where `enqueue` would wait per record.
"""

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder

from schemas.envelope import Event
from schemas.topics import Topic
from services.shared.kafka.encoding import record_of
from services.shared.kafka.partitioning import partition_for

_Where = tuple[str, int]  # topic, partition


class BulkSends:
    def __init__(self, producer: AIOKafkaProducer):
        self._producer = producer
        self._partitions: dict[str, list[int]] = {}  # per topic, asked again after a flush
        self._open: dict[_Where, BatchBuilder] = {}
        self._sent: list[asyncio.Future[Any]] = []
        self.pending = 0  # events added since the last flush: not acknowledged yet

    async def add(self, event: Event, topic: Topic, wire: bytes | None = None) -> None:
        """Appends the event to its partition's batch; a batch that is full is handed over (it
        waits while the previous batch of that partition is still queued). `wire`: the event's
        bytes when the caller holds them, as for `EventProducer.enqueue`."""
        key, value, headers = record_of(event, topic, wire)
        partitions = self._partitions.get(topic.name)
        if partitions is None:
            partitions = sorted(await self._producer.partitions_for(topic.name))
            self._partitions[topic.name] = partitions
        where = (topic.name, partition_for(key, partitions, partitions))
        batch = self._open.get(where)
        if batch is None:
            batch = self._open[where] = self._producer.create_batch()
        if batch.append(timestamp=None, key=key, value=value, headers=headers) is None:
            del self._open[where]  # full (out before the hand-over: never handed over twice)
            await self._hand_over(where, batch)
            batch = self._open[where] = self._producer.create_batch()
            # An empty batch takes any record; one over the broker's limit is refused there,
            # and its future fails the flush.
            batch.append(timestamp=None, key=key, value=value, headers=headers)
        self.pending += 1

    async def flush(self) -> int:
        """Hands over every open batch and waits for the broker's acks of all sent since the
        last flush; how many events that acknowledged. A refused batch raises here, and the
        sends are over: what they held is not known to be published (start again from the last
        flush; consumers skip what they counted)."""
        while self._open:  # taken out before it is handed over: never handed over twice
            where, batch = self._open.popitem()
            await self._hand_over(where, batch)
        sent, self._sent = self._sent, []
        await asyncio.gather(*sent)
        # Asked again after each flush: partitions added during a long replay are used as
        # the services' producers use them.
        self._partitions.clear()
        acknowledged, self.pending = self.pending, 0
        return acknowledged

    async def _hand_over(self, where: _Where, batch: BatchBuilder) -> None:
        topic, partition = where
        self._sent.append(await self._producer.send_batch(batch, topic, partition=partition))
