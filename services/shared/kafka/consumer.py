"""The one consumer loop: consume → take each event → complete the batch → commit.

At least once: a batch's offsets are committed only after every record in it was handled or
dead-lettered, so a crash replays it; handlers are idempotent on event_id. A record that does
not decode is dead-lettered here; what a subclass gives up on (poison, services/shared/kafka/
faults.py) it dead-letters through the same writer. A transient failure (a database or broker
outage) is retried through `retrying` for as long as it lasts, with every partition paused:
the consumer keeps polling, so it stays in its group, and no later record overtakes the one
waiting; `degraded` says so meanwhile (readiness).

Subclasses say what taking one event and completing a batch mean: EventConsumer hands each event
to a handler and completes a batch by awaiting the acks of what it published; the monthly consumer
computes each event's effect and completes a batch in one database transaction."""

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from schemas.codec import UndecodableEvent
from schemas.envelope import Event
from schemas.topics import Consumer
from services.shared.kafka.batching import GATHERING, Batching
from services.shared.kafka.dead_letters import DeadLetterWriter, SendRaw
from services.shared.kafka.decoding import Record, decode
from services.shared.kafka.retry import DEFAULT_RETRY, Failure, Retrier, RetryPolicy
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity
from services.shared.kafka_tuning import FETCH_WAIT_MS
from services.shared.logs import fields
from services.shared.tracing import consumer_span, record_attributes

log = logging.getLogger(__name__)

Positions: TypeAlias = dict[tuple[str, int], int]  # (topic, partition) -> the next offset to read
Work = TypeVar("Work")  # what a subclass gathers from a batch's records to complete it
Result = TypeVar("Result")
# A consumer waiting on work in flight, or between retries, polls (with every partition paused)
# at least this often: one that does not poll for max_poll_interval (300 s) leaves its group.
KEEP_POLLED_SECONDS = 1.0


@dataclass
class _Batch(Generic[Work]):
    work: Work
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    size: int = 0  # records taken, handled or not
    began: float = field(default_factory=time.monotonic)

    def positions(self) -> Positions:
        return {(tp.topic, tp.partition): offset for tp, offset in self.offsets.items()}


class BatchConsumer(ABC, Generic[Work]):
    """Reads the spec's topics as its consumer group, in partition order."""

    # A CONSUMER span per record (the record's trace continues); off where one span per
    # batch is opened instead, because a span per record would cost more than the work.
    span_per_record = True

    def __init__(
        self,
        spec: Consumer,
        bootstrap: str,
        send_dead_letter: SendRaw,
        *,
        batching: Batching = GATHERING,
        retry: RetryPolicy = DEFAULT_RETRY,
        client_id: str | None = None,
        security: KafkaSecurity = PLAINTEXT,
    ):
        self.spec = spec
        self.security = security
        self.retry = retry
        self.dead_letters = DeadLetterWriter(spec, send_dead_letter)
        self._bootstrap = bootstrap
        self._batching = batching
        self._client_id = client_id or f"pkc-{spec.service}"
        self.committed = 0  # records whose offsets are committed: done for good
        self.positions: Positions = {}  # committed offset per partition
        self.assigned = asyncio.Event()
        # An overlapped completion runs beside the loop's own polling: that loop keeps the
        # consumer polled (in `settled`), a second poller would race it.
        wait = asyncio.sleep if batching.overlapped else self._sleep_polled
        self._retrier = Retrier(retry, wait)
        self._in_flight: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        # Whether `_keep_polled` paused partitions since the last `_resume`, which runs after
        # every record an EventConsumer handles: asking aiokafka which are paused walks every
        # assigned partition (1.7 µs with triage's six).
        self._paused_to_poll = False

    @property
    def bootstrap(self) -> str:
        """The brokers it reads from (a lag probe asks the same ones)."""
        return self._bootstrap

    @property
    def dead_lettered(self) -> int:
        return self.dead_letters.written

    @abstractmethod
    def new_work(self) -> Work: ...

    async def take(self, record: Record, event: Event, work: Work) -> None:
        """One decoded event, in partition order (a subclass overrides this, or `take_record`
        when its records are not events)."""
        raise NotImplementedError(f"{type(self).__name__} takes no events")

    async def take_record(self, record: Record, work: Work) -> None:
        """One record, in partition order: decoded into its event for `take`, or dead-lettered
        when it does not decode. Intake's submissions (not events) override this."""
        try:
            event = decode(record)
        except UndecodableEvent as exc:
            await self.dead_letters.write(record, str(exc), attempts=1)
            return
        await self.take(record, event, work)

    @abstractmethod
    async def complete(self, work: Work, positions: Positions) -> None:
        """Makes the batch's effects durable (or dead-letters what cannot be) before the batch's
        offsets (`positions`) are committed. Raising stops the consumer: nothing is skipped."""

    async def stored_positions(self) -> Positions | None:
        """Where to start on assignment when the consumer keeps its positions itself (None:
        Kafka's committed offsets; a partition missing: from the beginning)."""
        return None

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self.spec.group,
            client_id=self._client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._batching.max_records,
            max_partition_fetch_bytes=self._batching.fetch_bytes,
            fetch_max_wait_ms=FETCH_WAIT_MS,
            fetch_min_bytes=self._batching.fetch_min_bytes,
            **self.security.client_kwargs(),
        )
        consumer.subscribe(
            topics=[t.name for t in self.spec.topics], listener=_Rebalance(self, consumer)
        )
        self._consumer = consumer
        try:
            await consumer.start()  # inside the try: a cancel while joining still closes it
            await self._consume(consumer)
        finally:
            if self._in_flight is not None:
                # Work not yet completed is read again after a restart.
                self._in_flight.cancel()
                await asyncio.gather(self._in_flight, return_exceptions=True)
            self._consumer = None
            await consumer.stop()

    async def retrying(
        self,
        operation: Callable[[], Awaitable[Result]],
        what: str,
        *,
        policy: RetryPolicy | None = None,
        tried: int = 0,
        **log_fields: object,
    ) -> Result | Failure:
        """`operation` under the retry policy (the consumer's unless `policy`): transient
        failures for as long as they last, with the partitions paused; the Failure of what is
        given up on, to dead-letter (`tried`: tries made before, which it counts)."""
        try:
            return await self._retrier(operation, what, policy=policy, tried=tried, **log_fields)
        finally:
            self._resume()

    @property
    def degraded(self) -> str | None:
        """The transient failure being waited out, by type (None: none): readiness."""
        return self._retrier.degraded

    async def _sleep_polled(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, KEEP_POLLED_SECONDS))
            await self._keep_polled()

    async def _keep_polled(self) -> None:
        """Polls with every partition paused: fetches nothing, yet counts as polling. A
        partition assigned meanwhile is not paused yet: what it returns is read again later."""
        consumer = self._consumer
        if consumer is None:
            return
        self._paused_to_poll = True
        consumer.pause(*consumer.assignment())
        fetched = await consumer.getmany(timeout_ms=0)
        for partition, records in fetched.items():
            consumer.seek(partition, records[0].offset)

    def _resume(self) -> None:
        if self._consumer is not None and self._paused_to_poll:
            self._paused_to_poll = False
            self._consumer.resume(*self._consumer.paused())

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        limit, seconds = self._batching.max_records, self._batching.max_seconds
        batch = _Batch(self.new_work())
        while True:
            wait = seconds - (time.monotonic() - batch.began)
            fetched = await consumer.getmany(
                timeout_ms=int(max(wait, 0.01) * 1000) if batch.size else 500,
                max_records=self._batching.room(batch.size),
            )
            if consumer.assignment():
                self.assigned.set()
            for partition, records in fetched.items():
                for record in records:
                    await self._take(record, batch)
                batch.offsets[partition] = records[-1].offset + 1
            full = batch.size >= limit or time.monotonic() - batch.began >= seconds
            if batch.offsets and (full or not fetched):
                await self._hand_over(consumer, batch)
                batch = _Batch(self.new_work())

    async def _hand_over(self, consumer: AIOKafkaConsumer, batch: "_Batch[Work]") -> None:
        await self.settled()  # one batch at a time: completions and commits stay in order
        if self._batching.overlapped:
            self._in_flight = asyncio.create_task(self._complete_and_commit(consumer, batch))
        else:
            await self._complete_and_commit(consumer, batch)

    async def _take(self, record: Record, batch: "_Batch[Work]") -> None:
        batch.size += 1
        if not self.span_per_record:
            await self.take_record(record, batch.work)
            return
        attributes = record_attributes(record.topic, record.partition, record.offset)
        with consumer_span(f"{record.topic} process", record.headers, attributes):
            await self.take_record(record, batch.work)

    async def _complete_and_commit(self, consumer: AIOKafkaConsumer, batch: "_Batch[Work]") -> None:
        await self.complete(batch.work, batch.positions())
        try:
            await consumer.commit(batch.offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # Partitions moved to another member mid-batch: it reads them again from the last
            # commit, and idempotent handling skips what this batch already did.
            log.warning("commit refused", extra=fields(error=type(exc).__name__))
            return
        self.committed += batch.size
        self.positions.update(batch.positions())

    async def settled(self) -> None:
        """Waits for the batch in flight, polling meanwhile (it may be retrying an outage for
        long); its failure is raised here (and stops the run)."""
        if self._in_flight is not None:
            try:
                while not self._in_flight.done():
                    await asyncio.wait([self._in_flight], timeout=KEEP_POLLED_SECONDS)
                    if not self._in_flight.done():
                        await self._keep_polled()
            finally:
                self._resume()  # a cancelled wait leaves the task to `run`, which cancels it
            in_flight, self._in_flight = self._in_flight, None
            await in_flight

    async def landed(self) -> None:
        """Waits until the batch in flight is done, without raising (the run loop will)."""
        if self._in_flight is not None:
            await asyncio.wait([self._in_flight])


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Lets the batch in flight land before partitions are given away; seeks assigned
    partitions to the consumer's own positions when it keeps them."""

    def __init__(self, owner: BatchConsumer[Any], consumer: AIOKafkaConsumer):
        self.owner = owner
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.owner.landed()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        stored = await self.owner.stored_positions()
        if stored is None:
            return
        fresh = []
        for partition in sorted(assigned):
            offset = stored.get((partition.topic, partition.partition))
            if offset is None:
                fresh.append(partition)
            else:
                self.consumer.seek(partition, offset)
        if fresh:
            await self.consumer.seek_to_beginning(*fresh)
