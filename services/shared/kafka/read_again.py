"""Records read again from the broker by their positions, for a consumer that kept only where
each record was rather than the record itself (the monthly consumer's batches: see
services/reporting/monthly/consumer.py).

A consumer of its own, assigned and without a group: it commits nothing and joins no
rebalance. The records exist (they were consumed moments ago), so a broker outage is waited
out: a read that has not finished in READ_SECONDS starts over."""

import asyncio
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.shared.kafka.decoding import Record
from services.shared.kafka.security import KafkaSecurity

log = logging.getLogger(__name__)

READ_SECONDS = 60.0
Position = tuple[str, int, int]  # topic, partition, offset


async def read_again(
    bootstrap: str, security: KafkaSecurity, positions: Iterable[Position]
) -> dict[Position, Record]:
    """The records at `positions`, each by its position."""
    wanted = set(positions)
    while True:
        try:
            return await asyncio.wait_for(_read(bootstrap, security, wanted), READ_SECONDS)
        except TimeoutError:
            log.warning("reading records again timed out; starting over: %d records", len(wanted))


async def _read(
    bootstrap: str, security: KafkaSecurity, wanted: set[Position]
) -> dict[Position, Record]:
    # Per partition, from its first wanted offset up to past its last.
    spans: dict[TopicPartition, tuple[int, int]] = {}
    for topic, partition, offset in wanted:
        tp = TopicPartition(topic, partition)
        first, last = spans.get(tp, (offset, offset))
        spans[tp] = (min(first, offset), max(last, offset))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **security.client_kwargs()
    )
    found: dict[Position, Record] = {}
    await consumer.start()
    try:
        consumer.assign(list(spans))
        for tp, (first, _) in spans.items():
            consumer.seek(tp, first)
        while len(found) < len(wanted):
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for record in records:
                    position = (tp.topic, tp.partition, record.offset)
                    if position in wanted:
                        found[position] = record
                if records and records[-1].offset >= spans[tp][1]:
                    consumer.pause(tp)  # its last wanted record is read
        return found
    finally:
        await consumer.stop()
