"""Source records the agent never got, read again so they count in their turn.

`rewind.Handled` notices when a record reaches the agent past offsets it never took (Faust
dropped them between fetcher and agent). Holding the commit back is not enough: every table
record keeps the highest position it has taken in (positions.py), so once the later record is
counted, the skipped ones would pass for replays when they came again. So before the record
that showed the skip is counted, the skipped ones are read from the broker by a consumer of
our own (assigned, no group: it commits nothing and joins no rebalance) and counted first, in
their order.

A record that arrives while the agent's account has no expectation for its partition (the
partition was revoked and its next seek has not been accounted for yet) is never taken blind:
the expectation is first read from the broker, the group's committed offset (or the partition's
first record when the group has none). Taking it blind would let the records Faust dropped
before it pass for replays when they came again."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faust.types import TP

from services.reporting.rewind import Handled
from services.shared.kafka.read_again import reader
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity
from services.shared.kafka_admin import admin_client

log = logging.getLogger(__name__)

Handle = Callable[[Any, Any], Awaitable[None]]  # the agent's handling of one record, in a span


@dataclass(frozen=True)
class Refetched:
    """A record read again, shaped as the agent's records are: `.value` and `.message` (topic,
    partition, offset, key, value, headers)."""

    message: Any

    @property
    def value(self) -> bytes | None:
        value: bytes | None = self.message.value
        return value

    @property
    def produced_at(self) -> float:
        """The record's Kafka timestamp in seconds, as Faust's messages carry it (aiokafka's
        records carry milliseconds)."""
        return float(self.message.timestamp) / 1000


class Refetcher:
    # A read of skipped records that has not finished in this long starts over with a new
    # consumer. Such a read is a few hundred records at most; a fault test once saw the
    # worker stop counting for good right after a skip was found, and this bounds that wait.
    ATTEMPT_SECONDS = 60.0

    def __init__(self) -> None:
        self.bootstrap, self.security, self.group = "", PLAINTEXT, ""
        self._admin: AIOKafkaAdminClient | None = None

    def connect(self, bootstrap: str, security: KafkaSecurity, group: str) -> None:
        """`group`: the agent's consumer group, whose committed offsets say where a partition
        resumes."""
        self.bootstrap, self.security, self.group = bootstrap, security, group

    async def fill(self, consumer: Any, message: Any, handle: Handle, span: Any) -> None:
        """Counts first, in order, the records Faust dropped before `message` (rewind.py's
        account, when the consumer keeps one)."""
        handled: Handled | None = getattr(consumer, "handled", None)
        if handled is None:
            return
        where: dict[str, object] = {"partition": f"{message.tp.topic}/{message.tp.partition}"}
        if not handled.knows(message.tp):
            resumes_at = await self.resumes_at(message.tp)
            if resumes_at != message.offset:
                where |= {"offset": message.offset, "resumes_at": resumes_at}
                log.warning("a record came before its partition's position was known: %s", where)
            handled.sought(message.tp, resumes_at)
        skipped = handled.took(message.tp, message.offset)
        if skipped is None:
            return
        missed = await self.between(message.tp, *skipped)
        for record in missed:
            await handle(record, span)
        where |= {"from": skipped[0], "to": skipped[1], "counted": len(missed)}
        log.warning("skipped source records read again and counted: %s", where)
        if handled.filled(message.tp):
            # Faust's account of a revoked partition is dropped; acknowledging into it after a
            # revoke would let a later commit pass records this assignment never handled.
            consumer.acknowledge(message.tp, *skipped)

    async def between(self, tp: TP, start: int, end: int) -> list[Refetched]:
        """The records of `tp` at offsets start..end-1 (those still on the broker), in order.
        Waits out a broker outage: they exist, since a later record was fetched."""
        while True:
            try:
                return await asyncio.wait_for(
                    self._read(tp, start, end), timeout=self.ATTEMPT_SECONDS
                )
            except TimeoutError:
                where = {"partition": f"{tp.topic}/{tp.partition}", "from": start, "to": end}
                log.warning("reading skipped records again timed out; starting over: %s", where)

    async def _read(self, tp: TP, start: int, end: int) -> list[Refetched]:
        partition = TopicPartition(tp.topic, tp.partition)
        async with self._reader() as consumer:
            consumer.assign([partition])
            consumer.seek(partition, start)
            records: list[Refetched] = []
            while await consumer.position(partition) < end:
                batch = await consumer.getmany(partition, timeout_ms=1000)
                records += [Refetched(r) for r in batch.get(partition, []) if r.offset < end]
            return records

    async def resumes_at(self, tp: TP) -> int:
        """Where the group resumes `tp`: its committed offset, else the partition's first
        record still on the broker."""
        admin = await self._admin_started()
        partition = TopicPartition(tp.topic, tp.partition)
        committed = await admin.list_consumer_group_offsets(self.group, partitions=[partition])
        found = committed.get(partition)
        if found is not None and found.offset >= 0:  # -1: nothing committed
            return int(found.offset)
        async with self._reader() as consumer:
            beginnings = await consumer.beginning_offsets([partition])
        return int(beginnings[partition])

    async def _admin_started(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = admin_client(self.bootstrap, self.security, request_timeout_ms=30_000)
            await admin.start()
            self._admin = admin
        return self._admin

    def _reader(self) -> contextlib.AbstractAsyncContextManager[AIOKafkaConsumer]:
        """A consumer of our own for one read (assigned, no group): skips are rare, and a
        fresh one carries no fetch state over from an earlier read. What retention deleted is
        not there to count."""
        return reader(self.bootstrap, self.security)

    async def stop(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
