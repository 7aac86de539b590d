"""A consumer that never skips a source record: not at a rebalance, and not in a commit.

Faust hands the records its fetcher returned to the agents only while their partition is still
active and the group's generation unchanged; a rebalance beginning mid-batch drops the rest
(faust/transport/consumer.py, `Consumer.getmany`). The fetcher's position has moved past them
all the same, so after every rebalance Faust seeks each assigned partition back to its
committed offset (`perform_seek` -> `seek_to_committed`), and the dropped records come again.

But aiokafka seeks only where a committed offset is above 0 (aiokafka 0.14,
`AIOKafkaConsumer.seek_to_committed`): a partition whose first records were dropped before
its first commit keeps its advanced position, and those records are never counted (the
two-replica fault test saw regions counted 0 of 4, their partitions never committed, the
fetcher at the end). So the consumer below seeks such partitions back to their beginning
(offset 0: a partition whose start was deleted resets to its earliest record, as
`consumer_auto_offset_reset` says). A replay costs nothing wrong: every table record keeps the
positions it has taken in (positions.py). Changelog partitions are left alone: Faust seeks
those itself for recovery, and the group never commits them.

And it keeps the agent's own account (`Handled`): from the offset each source partition was
last sought to, the agent must take every offset in turn (the source topics have no gaps: no
compaction, no transactions). A record that arrives with offsets before it never handled is a
skip; the commit then stops at the first skipped offset, whatever Faust's acknowledgements
say, until the agent has read the skipped records itself and counted them (refetch.py); and
the skip is logged and shown on /readyz.

A skip shows only when a later record of its partition arrives. When Faust drops a
partition's last records, nothing comes after them while the region is quiet, and the commit
waits before them (a fault test saw a region counted 5 of 8 for minutes: the fetcher at 8, the
agent's next offset 5). So a timer looks at every source partition (`reread_dropped_tails`):
one whose fetcher has moved past the agent's next offset while none of its records is
buffered in the fetcher or in the agent's hands, and still so at the next look, has had its
tail dropped; the consumer seeks it back to the agent's next offset, and Faust hands those
records to the agent again in their turn. A look that is wrong (records held up in Faust's
own loop behind a full buffer) costs a replay, which counts nothing twice (positions.py).
"""

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as KafkaConsumer
from faust.types import TP

from services.reporting.delivery import PromptDeliveryConsumer
from services.shared.kafka.injection import InjectedFaults
from services.shared.kafka_tuning import FETCH_MIN_BYTES, FETCH_WAIT_MS

log = logging.getLogger(__name__)


@dataclass
class Handled:
    """Per source partition: the next offset the agent must take, and the first it skipped."""

    expected: dict[TP, int] = field(default_factory=dict)
    skipped_from: dict[TP, int] = field(default_factory=dict)
    skips: list[dict[str, Any]] = field(default_factory=list)  # the last few, for /readyz
    # The last look at the partitions fetched past the agent's next offset (dropped_tails).
    tails: dict[TP, tuple[int, int]] = field(default_factory=dict)

    def sought(self, tp: TP, offset: int | None) -> None:
        """The fetcher now reads `tp` from `offset` (None: unknown, e.g. the earliest)."""
        self.skipped_from.pop(tp, None)
        if offset is None:
            self.expected.pop(tp, None)
        else:
            self.expected[tp] = offset

    def knows(self, tp: TP) -> bool:
        """Whether the next offset the agent must take from `tp` is known (refetch.py reads
        it from the broker when it is not)."""
        return tp in self.expected

    def took(self, tp: TP, offset: int) -> tuple[int, int] | None:
        """The agent has `offset` of `tp` in hand: the offsets it skipped before it, if any
        (from, to: to excluded), which the commit will not pass until `filled`."""
        expected = self.expected.get(tp)
        skipped = None
        if expected is not None and offset > expected:
            skipped = (self.skipped_from.setdefault(tp, expected), offset)
            self._note(tp, expected, offset, "source records skipped before the agent")
        if expected is None or offset >= expected:
            self.expected[tp] = offset + 1
        return skipped

    def filled(self, tp: TP) -> bool:
        """The skipped records of `tp` were counted after all (refetch.py). False when the
        skip was forgotten meanwhile (the partition revoked or sought again): the next reading
        of the partition starts at its commit, so nothing may be acknowledged past it."""
        return self.skipped_from.pop(tp, None) is not None

    def dropped_tails(self, fetched_past: Mapping[TP, tuple[int, int]]) -> dict[TP, int]:
        """`fetched_past`: the source partitions whose fetcher has moved past the next offset
        the agent must take, none of their records buffered or in hand, each with (that
        offset, the fetcher's position). Those seen just so at the last look too have had
        their tail dropped: returns the offset each is to be read again from."""
        dropped = {tp: seen for tp, seen in fetched_past.items() if self.tails.get(tp) == seen}
        self.tails = {tp: seen for tp, seen in fetched_past.items() if tp not in dropped}
        for tp, (start, end) in dropped.items():
            self._note(tp, start, end, "a partition's last records never reached the agent", True)
        return {tp: start for tp, (start, _) in dropped.items()}

    def _note(self, tp: TP, start: int, end: int, what: str, tail: bool = False) -> None:
        """Logs records [start, end) of `tp` that never reached the agent, and keeps the last
        few for /readyz (a tail: found by `dropped_tails`, not by a later record)."""
        skip: dict[str, Any] = {"partition": f"{tp.topic}/{tp.partition}", "from": start, "to": end}
        if tail:
            skip["tail"] = True
        self.skips = [*self.skips, skip][-20:]
        log.warning("%s: %s", what, skip)

    def committable(self, tp: TP, offset: int) -> int | None:
        """How far a commit of `tp` may go when Faust asks for `offset`: never past a skipped
        record, nor past what the agent has taken since the partition was last sought (Faust
        also acknowledges records of a partition already revoked, and a later assignment
        would commit past those without handling them). None: nothing taken, no commit."""
        expected = self.expected.get(tp)
        if expected is None:
            return None
        first_skipped = self.skipped_from.get(tp, expected)
        return min(offset, expected, first_skipped)


def fetcher_state(consumer: Any) -> tuple[Mapping[Any, Any], Any] | None:
    """aiokafka's side of a Faust consumer: its fetched, not yet returned records per partition,
    and its assignment, whose `state_value(tp)` holds the partition's position, pause and
    high-water mark. Private attributes, read defensively: None when the consumer has not
    started or they changed."""
    try:
        client = consumer._thread._consumer
        records = client._fetcher._records
        subscription = client._subscription.subscription
    except AttributeError:  # also: no client yet (None)
        return None
    return (records, subscription.assignment) if subscription is not None else None


class PlatformFetchThread(AIOKafkaConsumerThread):
    """Faust's consumer thread, whose aiokafka client's fetch waits on the broker FETCH_WAIT_MS
    instead of the 1,500 ms Faust hard-codes (services/shared/kafka_tuning.py says why: a busy
    region's records waited seconds behind a fetch of the quiet ones), for FETCH_MIN_BYTES as
    the platform's other gathering consumers do (Faust asks for 1 byte: under load, many small
    fetches)."""

    def _create_worker_consumer(self, transport: Any) -> AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Faust offers no setting for them; aiokafka reads these attributes when the consumer
        # starts (to build its fetcher), which is after this returns.
        for name, value in (
            ("_fetch_max_wait_ms", FETCH_WAIT_MS),
            ("_fetch_min_bytes", FETCH_MIN_BYTES),
        ):
            if not isinstance(getattr(consumer, name, None), int):
                raise RuntimeError(f"aiokafka's consumer no longer keeps {name}")
            setattr(consumer, name, value)
        return consumer


class RewindingConsumer(PromptDeliveryConsumer):
    """Faust's aiokafka consumer whose seek to the committed offsets also rewinds the source
    partitions that have none to their start, and whose commits never pass a skipped record
    (and which hands records to the agent without a race of tasks each: delivery.py)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.handled = Handled()

    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return PlatformFetchThread(self, loop=self.loop, beacon=self.beacon)

    def _is_source(self, tp: TP) -> bool:
        return tp.topic not in self.app.tables.changelog_topics

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = await super().seek_to_committed()
        for tp, offset in committed.items():
            if not offset and self._is_source(tp):
                await self.seek(tp, 0)
            elif self._is_source(tp):
                self.handled.sought(tp, offset)
        return committed

    async def seek(self, partition: TP, offset: int) -> None:
        await super().seek(partition, offset)
        if self._is_source(partition):
            self.handled.sought(partition, offset or None)

    async def on_partitions_revoked(self, revoked: Any) -> None:
        for tp in revoked:
            self.handled.sought(tp, None)  # the next assignment seeks it again
        await super().on_partitions_revoked(revoked)

    def acknowledge(self, tp: TP, start: int, end: int) -> None:
        """Offsets start..end-1 of `tp` are counted (refetch.py read them again): put them in
        Faust's own account of acknowledged offsets, as its `ack` does for a message it
        delivered. Faust never delivered them, and would otherwise never commit past them."""
        committed = self._committed_offset[tp]
        acked, index = self._acked[tp], self._acked_index[tp]
        for offset in range(start, end):
            if (committed is None or offset >= committed) and offset not in index:
                index.add(offset)
                acked.append(offset)

    def _fetched_past(self) -> dict[TP, tuple[int, int]]:
        """The input of `Handled.dropped_tails`, from aiokafka's fetcher and Faust's messages
        in hand (private attributes, read defensively: nothing is found when they change)."""
        fetcher = fetcher_state(self)
        if fetcher is None:
            return {}
        buffered, assignment = fetcher
        in_hand = {message.tp for message in list(self._unacked_messages)}
        found: dict[TP, tuple[int, int]] = {}
        for tp, expected in list(self.handled.expected.items()):
            if tp in in_hand or tp in buffered or tp in self.handled.skipped_from:
                continue
            state = assignment.state_value(tp)
            if state is None or state.paused or not state.has_valid_position:
                continue
            if state.position > expected:
                found[tp] = (expected, state.position)
        return found

    async def reread_dropped_tails(self) -> None:
        """Seeks each partition whose last records Faust dropped back to the first of them
        (see the module's docstring). Called by a timer, never during a rebalance."""
        if not self.flow_active:
            return
        for tp, offset in self.handled.dropped_tails(self._fetched_past()).items():
            await self.seek(tp, offset)

    async def _commit(self, offsets: Mapping[TP, int]) -> bool:
        held: dict[TP, int] = {}
        for tp, offset in offsets.items():
            limit = self.handled.committable(tp, offset) if self._is_source(tp) else offset
            if limit is not None:
                held[tp] = limit
        return bool(await super()._commit(held)) if held else False


class DroppingConsumer(RewindingConsumer):
    """For the fault tests: drops the fetched records the injected plan names before they
    reach the agent, as Faust drops records at a rebalance (injection.py)."""

    injected = InjectedFaults(None)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        async for tp, message in super().getmany(timeout):
            if not self.injected.drops(tp.topic, tp.partition, message.offset, message.value):
                yield tp, message


def install_rewinding_consumer(app: Any) -> Handled:
    """Makes the app's consumer a `RewindingConsumer` and returns its account, which the agent
    tells each record it has taken. Call it before anything reads `app.consumer` (which
    creates the consumer), i.e. before the app starts."""
    if app.transport.Consumer is not KafkaConsumer:
        raise RuntimeError("the rewinding consumer is built for Faust's aiokafka (kafka://) driver")
    injected = InjectedFaults.from_environment()
    if injected.active:
        DroppingConsumer.injected = injected
        app.transport.Consumer = DroppingConsumer
    else:
        app.transport.Consumer = RewindingConsumer
    if not isinstance(app.consumer, RewindingConsumer):
        raise RuntimeError("the app's consumer was created before it could be replaced")
    return app.consumer.handled
