"""Records read again from the broker by their positions, for a consumer that kept only where
each record was rather than the record itself (the monthly consumer's batches: see
services/reporting/monthly/consumer.py).

A consumer of its own, assigned and without a group: it commits nothing and joins no
rebalance. A broker outage is waited out. A record no longer on the broker (its segment
deleted by retention since it was consumed: a rebuild reads the oldest records first) comes
back as `Gone`, its position alone, so the read always ends: each partition is read up to its
last wanted offset or its end, whichever comes first."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.shared.kafka.decoding import Record
from services.shared.kafka.security import KafkaSecurity

log = logging.getLogger(__name__)

READ_SECONDS = 60.0  # an attempt that has not finished in this long starts over
RETRY_SECONDS = 1.0  # between attempts while the broker cannot be reached
Position = tuple[str, int, int]  # topic, partition, offset


@dataclass(frozen=True)
class Gone:
    """A wanted record no longer on the broker: where it was, and nothing of it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


async def read_again(
    bootstrap: str, security: KafkaSecurity, positions: Iterable[Position], client_id: str
) -> dict[Position, Record | Gone]:
    """The record at each of `positions` (a `Gone` for one no longer on the broker)."""
    wanted = set(positions)
    while True:
        try:
            found = await asyncio.wait_for(
                _read(bootstrap, security, wanted, client_id), READ_SECONDS
            )
        except (TimeoutError, KafkaError) as exc:
            log.warning(
                "reading %d records again failed (%s); starting over", len(wanted), type(exc)
            )
            await asyncio.sleep(RETRY_SECONDS)  # a back-off while the broker is away
            continue
        return {p: found.get(p) or Gone(*p) for p in wanted}


async def _read(
    bootstrap: str, security: KafkaSecurity, wanted: set[Position], client_id: str
) -> dict[Position, Record]:
    # Per partition, from its first wanted offset up to its last.
    spans: dict[TopicPartition, tuple[int, int]] = {}
    for topic, partition, offset in wanted:
        tp = TopicPartition(topic, partition)
        first, last = spans.get(tp, (offset, offset))
        spans[tp] = (min(first, offset), max(last, offset))
    found: dict[Position, Record] = {}
    async with reader(bootstrap, security, client_id) as consumer:
        consumer.assign(list(spans))
        ends = await consumer.end_offsets(list(spans))
        # A partition is done once read past its last wanted offset or up to its end.
        reading = {tp for tp, (first, last) in spans.items() if first < ends[tp]}
        for tp in reading:
            consumer.seek(tp, spans[tp][0])
        while reading:
            fetched = await consumer.getmany(*reading, timeout_ms=1000)
            for tp, records in fetched.items():
                for record in records:
                    position = (tp.topic, tp.partition, record.offset)
                    if position in wanted:
                        found[position] = record
            for tp in list(reading):
                if await consumer.position(tp) > min(spans[tp][1], ends[tp] - 1):
                    reading.discard(tp)
        return found


@contextlib.asynccontextmanager
async def reader(
    bootstrap: str, security: KafkaSecurity, client_id: str | None = None
) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer of our own for one read: to be assigned, no group, nothing committed, and
    past a start retention deleted, from the first record still there."""
    named = {"client_id": client_id} if client_id else {}  # else aiokafka's own
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **named,
        **security.client_kwargs(),
    )
    try:
        await consumer.start()  # inside the try: an attempt cut short still closes it
        yield consumer
    finally:
        await consumer.stop()
