"""Source records the agent never got, read again so they count in their turn.

`rewind.Handled` notices when a record reaches the agent past offsets it never took (Faust
dropped them between fetcher and agent). Holding the commit back is not enough: every table
record keeps the highest position it has taken in (positions.py), so once the later record is
counted, the skipped ones would pass for replays when they came again. So before the record
that showed the skip is counted, the skipped ones are read from the broker by a consumer of
our own (assigned, no group: it commits nothing and joins no rebalance) and counted first, in
their order."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import TP

from services.reporting.rewind import Handled
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity

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


class Refetcher:
    def __init__(self) -> None:
        self.bootstrap, self.security = "", PLAINTEXT
        self._consumer: AIOKafkaConsumer | None = None

    def connect(self, bootstrap: str, security: KafkaSecurity) -> None:
        self.bootstrap, self.security = bootstrap, security

    async def fill(self, consumer: Any, message: Any, handle: Handle, span: Any) -> None:
        """Counts first, in order, the records Faust dropped before `message` (rewind.py's
        account, when the consumer keeps one)."""
        handled: Handled | None = getattr(consumer, "handled", None)
        if handled is None:
            return
        skipped = handled.took(message.tp, message.offset)
        if skipped is None:
            return
        for missed in await self.between(message.tp, *skipped):
            await handle(missed, span)
        handled.filled(message.tp)
        consumer.acknowledge(message.tp, *skipped)

    async def between(self, tp: TP, start: int, end: int) -> list[Refetched]:
        """The records of `tp` at offsets start..end-1 (those still on the broker), in order.
        Waits out a broker outage: they exist, since a later record was fetched."""
        consumer = await self._started()
        partition = TopicPartition(tp.topic, tp.partition)
        consumer.assign([partition])
        consumer.seek(partition, start)
        records: list[Refetched] = []
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=1000)
            records += [Refetched(r) for r in batch.get(partition, []) if r.offset < end]
        return records

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                auto_offset_reset="earliest",  # what retention deleted is not there to count
                **self.security.client_kwargs(),
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
