"""The monthly follow-up's consumer: the shared consumer loop with batches of thousands of
events, one database transaction per batch.

A replayed month of national traffic (millions of events) needs bulk upserts and few
transactions, so a batch gathers each event's effect and is completed in one transaction (while
the next batch is fetched). The contract is the shared loop's: at least once (offsets are
committed only after the batch's transaction, or a record's dead-lettering), idempotent (the
store skips event ids it has counted), and a record that does not decode, or whose counting
keeps failing, goes to the consumer's dead-letter topic while the partitions flow on. A
transient failure (the database down or locked) is retried for as long as it lasts: the batch
waits, it is never dead-lettered (services/shared/kafka/faults.py says which is which).

Where to start is the database's: each batch's transaction records the partitions' next
offsets, and on assignment the consumer seeks there (or to the beginning when the database has
none), so a new database is rebuilt from the start of the topics. Kafka's committed offsets
follow for monitoring (lag), not for resuming.
"""

import asyncio
from dataclasses import dataclass, field, replace
from functools import partial

from schemas.envelope import Event
from schemas.topics import Consumer
from services.reporting.monthly.aggregation import Aggregation, Effect, EventKey
from services.reporting.monthly.store import MonthlyStore
from services.shared.kafka import (
    DEFAULT_RETRY,
    BatchConsumer,
    Batching,
    EventProducer,
    Failure,
    Positions,
    Record,
    RetryPolicy,
)
from services.shared.kafka.read_again import Gone, Position, read_again
from services.shared.kafka_admin import create_topics
from services.shared.tracing import consumer_span


@dataclass
class _Effects:
    effects: dict[EventKey, Effect] = field(default_factory=dict)
    # Where each counted event's record is, to read it again should it be dead-lettered: a
    # position is some 100 bytes where the record was some 800, and a replay's batch holds
    # 5,000 of them while the next fills (`python -m bench reporting` 70,000 events behind,
    # two runs each way alternated: the worker's resident peak 155 / 160 -> 152 / 154 MiB).
    positions: dict[EventKey, Position] = field(default_factory=dict)
    taken: int = 0  # records decoded, counted or not


class MonthlyConsumer(BatchConsumer[_Effects]):
    span_per_record = False  # one span per batch: a span per record would cost more than it

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
        retry: RetryPolicy = DEFAULT_RETRY,
        replication_factor: int = 1,
    ):
        batching = Batching(
            batch_size,
            flush_seconds,
            overlapped=True,
            # 1 MiB a partition: at 4 MiB a worker catching up held four times as much fetched
            # and not yet counted, for no faster a rebuild (bench month).
            fetch_bytes=1024 * 1024,
            slice_records=500,  # a batch keeps none of its records (_Effects.positions)
        )
        super().__init__(
            spec,
            bootstrap,
            producer.send_raw,
            batching=batching,
            retry=retry,
            client_id=f"pkc-{spec.service}-monthly",
            security=producer.security,  # one principal per service
        )
        self.store = store
        self.aggregation = aggregation
        self.counted = 0  # events counted for the first time
        self._replication_factor = replication_factor

    async def run(self) -> None:
        # The group is a setting (PKC_REPORTING_MONTHLY_GROUP, a rebuild from the topics' start
        # under a new name): its DLQ may be one `pkc topics create` never made, and production
        # brokers do not auto-create topics. A dead letter must never fail for want of its topic.
        await create_topics(
            self._bootstrap, (self.spec.dead_letter,), self._replication_factor, self.security
        )
        await super().run()

    def new_work(self) -> _Effects:
        return _Effects()

    async def stored_positions(self) -> Positions:
        return await asyncio.to_thread(self.store.positions)

    async def take(self, record: Record, event: Event, work: _Effects) -> None:
        work.taken += 1
        try:
            counted = self.aggregation.counted(event)
        except Exception as exc:  # a rule that cannot count this event: never block the rest
            failure = Failure.rejected(exc)
            await self.dead_letters.write(record, failure.reason, failure.attempts)
            return
        if counted is None:
            return  # not counted (a resolution, a case, ...): not recorded either
        key, effect = counted
        # The same event twice in one batch is counted once. One look-up, not two: hashing a
        # key hashes its uuid in Python, millions of times in a replay.
        if work.effects.setdefault(key, effect) is effect:
            work.positions[key] = (record.topic, record.partition, record.offset)

    async def complete(self, work: _Effects, positions: Positions) -> None:
        attributes: dict[str, str | int] = {
            "messaging.system": "kafka",
            "messaging.consumer.group.name": self.spec.group,
            "messaging.batch.message_count": work.taken,
        }
        with consumer_span(f"{self.spec.group} count batch", None, attributes):
            outcome = await self.retrying(
                lambda: self._apply(work.effects, positions),
                "monthly batch",
                events=len(work.effects),
            )
            if isinstance(outcome, Failure):
                await self._apply_one_by_one(work, positions, outcome.attempts)

    async def _apply(self, effects: dict[EventKey, Effect], positions: Positions | None) -> None:
        # In a thread: the event loop (and the Faust worker sharing it) keeps running.
        self.counted += await asyncio.to_thread(self.store.apply, effects, positions)

    async def _apply_one_by_one(self, work: _Effects, positions: Positions, tried: int) -> None:
        """The batch keeps failing for a reason that is not an outage: count each event alone,
        so only those that fail on their own are dead-lettered (the rest of the batch is not
        held hostage by one of them). Each is tried once more, or for as long as an outage
        that starts meanwhile lasts."""
        once = replace(self.retry, attempts=1)
        failed: dict[EventKey, Failure] = {}
        for key, effect in work.effects.items():
            alone = {key: effect}
            outcome = await self.retrying(
                partial(self._apply, alone, None),
                "monthly event",
                policy=once,
                tried=tried,  # the batch's tries count as the event's too
            )
            if isinstance(outcome, Failure):
                failed[key] = outcome
        if failed:
            wanted = [work.positions[key] for key in failed]
            records = await read_again(self.bootstrap, self.security, wanted, self._client_id)
            for key, failure in failed.items():
                record = records[work.positions[key]]
                reason = failure.reason
                if isinstance(record, Gone):  # deleted by retention since: its position alone
                    reason += "; the record is no longer on the broker"
                await self.dead_letters.write(record, reason, failure.attempts)
        # Every record is counted or dead-lettered: the partitions move on. If even this
        # fails (other than an outage), the error stops the consumer: nothing is skipped.
        outcome = await self.retrying(
            lambda: self._apply({}, positions), "monthly positions", policy=once
        )
        if isinstance(outcome, Failure):
            raise RuntimeError(
                f"the monthly consumer cannot record its positions: {outcome.reason}"
            )
