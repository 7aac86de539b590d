"""The monthly follow-up's consumer: events in batches, one transaction per batch, then commit.

Built on aiokafka instead of services.shared.kafka.EventConsumer, which hands its handler one
event at a time and commits after each partition's records: a replayed month of national
traffic (millions of events) needs bulk upserts and few transactions. The contract is the
same: at least once (offsets are committed only after the batch's transaction, or a record's
dead-lettering), idempotent (the store skips event ids it has counted), and a record that does
not decode, or whose counting keeps failing, goes to the consumer's dead-letter topic with the
reason in the same headers as the shared consumer's, while the partitions flow on.

Where to start is the database's: each batch's transaction records the partitions' next
offsets, and on assignment the consumer seeks there (or to the beginning when the database has
none), so a new database is rebuilt from the start of the topics. Kafka's committed offsets
follow for monitoring (lag), not for resuming.
"""

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError
from pydantic import ValidationError

from schemas.codec import EVENT_TYPES, UndecodableEvent, decode_event
from schemas.envelope import Event
from schemas.topics import Consumer
from services.reporting.monthly.aggregation import Aggregation, Effect
from services.reporting.monthly.store import MonthlyStore, Positions
from services.shared.kafka import EventProducer
from services.shared.kafka_admin import create_topics
from services.shared.logs import fields
from services.shared.tracing import consumer_span

log = logging.getLogger(__name__)


@dataclass
class _Batch:
    effects: dict[uuid.UUID, Effect] = field(default_factory=dict)
    records: dict[uuid.UUID, ConsumerRecord[bytes, bytes]] = field(
        default_factory=dict
    )  # for dead-lettering
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    size: int = 0  # records taken, counted or not
    began: float = field(default_factory=time.monotonic)


class MonthlyConsumer:
    def __init__(
        self,
        spec: Consumer,
        bootstrap: str,
        store: MonthlyStore,
        aggregation: Aggregation,
        producer: EventProducer,
        *,
        batch_size: int = 5000,
        flush_seconds: float = 0.5,
        max_attempts: int = 3,
        first_backoff: float = 0.2,
        replication_factor: int = 1,
    ):
        self.spec = spec
        self.store = store
        self.aggregation = aggregation
        self._producer = producer
        self._bootstrap = bootstrap
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self._max_attempts = max_attempts
        self._first_backoff = first_backoff
        self._replication_factor = replication_factor
        self.handled = 0  # records taken and done with (counted, skipped or not counted)
        self.counted = 0  # events counted for the first time
        self.dead_lettered = 0
        self.committed = 0
        self.positions: dict[tuple[str, int], int] = {}  # committed offset per partition
        self.assigned = asyncio.Event()
        # The previous batch's transaction and commit run while the next batch is fetched and
        # decoded; one at a time, so transactions and commits stay in order.
        self._in_flight: asyncio.Task[None] | None = None

    async def run(self) -> None:
        await self._ensure_dead_letter_topic()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self.spec.group,
            client_id=f"pkc-{self.spec.service}-monthly",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._batch_size,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        consumer.subscribe(
            topics=[t.name for t in self.spec.topics], listener=_StartWhereCounted(self, consumer)
        )
        try:
            await consumer.start()  # inside the try: a cancel while joining still closes it
            batch = _Batch()
            while True:
                wait = self._flush_seconds - (time.monotonic() - batch.began)
                fetched = await consumer.getmany(
                    timeout_ms=int(max(wait, 0.01) * 1000) if batch.size else 500,
                    max_records=self._batch_size - batch.size,
                )
                if consumer.assignment():
                    self.assigned.set()
                for partition, records in fetched.items():
                    for record in records:
                        await self._take(record, batch)
                    batch.offsets[partition] = records[-1].offset + 1
                if batch.offsets and (
                    batch.size >= self._batch_size
                    or not fetched
                    or time.monotonic() - batch.began >= self._flush_seconds
                ):
                    await self.settled()
                    self._in_flight = asyncio.create_task(self._flush_and_commit(consumer, batch))
                    batch = _Batch()
        finally:
            if self._in_flight is not None:
                # Work not yet in the database is read again after a restart.
                self._in_flight.cancel()
                await asyncio.gather(self._in_flight, return_exceptions=True)
            await consumer.stop()

    async def settled(self) -> None:
        """Waits for the batch in flight; its failure is raised here (and stops the run)."""
        if self._in_flight is not None:
            await self._in_flight
            self._in_flight = None

    async def landed(self) -> None:
        """Waits until the batch in flight is done, without raising (the run loop will)."""
        if self._in_flight is not None:
            await asyncio.wait([self._in_flight])

    async def _flush_and_commit(self, consumer: AIOKafkaConsumer, batch: _Batch) -> None:
        await self._flush(batch)
        await self._commit(consumer, batch)

    async def _take(self, record: ConsumerRecord[bytes, bytes], batch: _Batch) -> None:
        batch.size += 1
        try:
            event = _decode(record)
        except UndecodableEvent as exc:
            await self._dead_letter(record, str(exc))
            return
        if event.event_id in batch.effects:
            return  # the same event twice in one batch: counted once
        try:
            effect = self.aggregation.effect(event)
        except Exception as exc:  # a rule that cannot count this event: never block the rest
            await self._dead_letter(record, f"rejected: {type(exc).__name__}: {exc}"[:500])
            return
        if effect is not None:
            batch.effects[event.event_id] = effect
            batch.records[event.event_id] = record

    async def _flush(self, batch: _Batch) -> None:
        attributes: dict[str, str | int] = {
            "messaging.system": "kafka",
            "messaging.consumer.group.name": self.spec.group,
            "messaging.batch.message_count": batch.size,
        }
        with consumer_span(f"{self.spec.group} count batch", None, attributes):
            reason = await self._apply_with_retries(batch.effects, _positions(batch))
            if reason is not None:
                await self._apply_one_by_one(batch)
        self.handled += batch.size

    async def _apply_with_retries(
        self, effects: dict[uuid.UUID, Effect], positions: Positions
    ) -> str | None:
        delay = self._first_backoff
        for attempt in range(1, self._max_attempts + 1):
            try:
                # In a thread: the event loop (and the Faust worker sharing it) keeps running.
                self.counted += await asyncio.to_thread(self.store.apply, effects, positions)
                return None
            except Exception as exc:
                if attempt == self._max_attempts:
                    return f"failed after {attempt} attempts: {type(exc).__name__}: {exc}"[:500]
                log.warning(
                    "monthly batch failed, retrying",
                    extra=fields(events=len(effects), attempt=attempt, error=type(exc).__name__),
                )
                await asyncio.sleep(delay)
                delay *= 2
        return "unreachable"

    async def _apply_one_by_one(self, batch: _Batch) -> None:
        """The batch keeps failing: count each event alone, so only those that fail on their
        own are dead-lettered (the rest of the batch is not held hostage by one of them)."""
        for event_id, effect in batch.effects.items():
            try:
                self.counted += await asyncio.to_thread(self.store.apply, {event_id: effect})
            except Exception as exc:
                reason = f"failed after {self._max_attempts} attempts: {type(exc).__name__}: {exc}"
                await self._dead_letter(batch.records[event_id], reason[:500])
        # Every record is counted or dead-lettered: the partitions move on. If even this
        # fails, the error stops the consumer (and the process): nothing is skipped.
        await asyncio.to_thread(self.store.apply, {}, _positions(batch))

    async def _commit(self, consumer: AIOKafkaConsumer, batch: _Batch) -> None:
        try:
            await consumer.commit(batch.offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # Partitions moved to another member mid-batch: it reads them again from the last
            # commit, and the store skips what this batch already counted.
            log.warning("monthly commit refused", extra=fields(error=type(exc).__name__))
            return
        self.committed += batch.size
        for partition, offset in batch.offsets.items():
            self.positions[(partition.topic, partition.partition)] = offset

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        headers = [
            ("dlq.reason", reason.encode()),
            ("dlq.consumer", self.spec.group.encode()),
            ("dlq.topic", record.topic.encode()),
            ("dlq.partition", str(record.partition).encode()),
            ("dlq.offset", str(record.offset).encode()),
            ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        await self._producer.send_raw(self.spec.dead_letter.name, record.value, record.key, headers)
        self.dead_lettered += 1
        log.warning(
            "record dead-lettered",
            extra=fields(
                topic=record.topic, partition=record.partition, offset=record.offset, reason=reason
            ),
        )

    async def _ensure_dead_letter_topic(self) -> None:
        """Creates the dead-letter topic if `pkc topics create` did not (this consumer is not in
        the registry's CONSUMERS): a dead letter must never fail for want of its topic."""
        await create_topics(self._bootstrap, (self.spec.dead_letter,), self._replication_factor)


class _StartWhereCounted(ConsumerRebalanceListener):  # type: ignore[misc]
    """Seeks assigned partitions to the database's positions; lets the batch in flight land
    before partitions are given away."""

    def __init__(self, monthly: MonthlyConsumer, consumer: AIOKafkaConsumer):
        self.monthly = monthly
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.monthly.landed()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        counted = await asyncio.to_thread(self.monthly.store.positions)
        fresh = []
        for partition in sorted(assigned):
            offset = counted.get((partition.topic, partition.partition))
            if offset is None:
                fresh.append(partition)
            else:
                self.consumer.seek(partition, offset)
        if fresh:
            await self.consumer.seek_to_beginning(*fresh)


def _positions(batch: _Batch) -> Positions:
    return {(tp.topic, tp.partition): offset for tp, offset in batch.offsets.items()}


def _decode(record: ConsumerRecord[bytes, bytes]) -> Event:
    """The codec's decode_event, with a shortcut for the common case: the record names its
    type in the `event_type` header (EventProducer sets it) and is of the current version.
    Parsing JSON straight into that model costs half of decode_event; anything it refuses (an
    old version to upcast, a wrong header, a bad record) goes through decode_event, which
    upcasts it or gives the reason for the dead letter."""
    model = None
    for name, value in record.headers or ():
        if name == "event_type":
            model = EVENT_TYPES.get(value.decode(errors="replace"))
            break
    if model is not None and record.value is not None:
        try:
            return model.model_validate_json(record.value)
        except ValidationError:
            pass
    return decode_event(record.value)
