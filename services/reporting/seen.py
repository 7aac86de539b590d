"""The dedupe memory: each counted event id with the input position that counted it, so that a
producer's re-send (the same event at a new offset: an outbox relay, or triage, that published
and crashed before it recorded so) counts once. It is remembered for a horizon in the records'
own Kafka timestamps (the time each copy was produced): a re-send is produced after its first
copy, so however late a worker reads them, the first copy is remembered when the re-send comes.

It was a windowed Faust table: a changelog record per event, about 180 µs of the worker's CPU
each (bench/faust_floor.py), more than the rest of counting the event. Now the ids live in
memory, and the changelog gets one record per source partition per commit: a *batch*, the
ids that partition counted since the last commit, each with its offset. A batch reaches the
changelog as the buckets and metas do (deferred.py): just before the commit's flush, which
covers it. A worker killed before a commit is replayed from that commit, and the replay
remembers those ids again; a batch that landed without its commit holds the replayed records'
own positions, which count as replays, not as re-sends (counting.py).

A batch also keeps the newest produce time among its ids. When a partition's newest produce
time has moved a horizon past a batch's, the batch is deleted (a tombstone: the changelog is
compacted), and its ids are forgotten. After a rebalance the memory is read again from the
table, which Faust recovers from the changelog before the agent takes a record.
"""

from array import array
from collections import deque
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from schemas.envelope import Event
from services.reporting.deferred import Writes
from services.reporting.positions import Position


class Batch:
    """One batch in memory: each id a 128-bit int (44 bytes, where its 36-character string
    takes 85) in a list, and their offsets packed 8 bytes each beside it. With its entry in the
    index that is 70 bytes an id, where a dict of strings to offsets took 179 (tracemalloc,
    50,000 ids): the memory is the largest thing reporting holds that grows with traffic, a
    day of ids (about 200,000 of PKC's events: 13 MiB, where it was 34).

    Its changelog record is still that dict, {"source": "<topic>/<partition>", "until":
    seconds, "seen": {id: offset}}: Faust's JSON codec calls `__json__` when the flush
    serializes it, so the topic's format is what it was."""

    __slots__ = ("ids", "offsets", "source", "until")

    def __init__(self, source: str, until: float):
        self.source = source
        self.until = until  # the newest produce time among its ids (seconds)
        self.ids: list[int] = []
        self.offsets = array("q")

    @classmethod
    def of_record(cls, record: dict[str, Any]) -> "Batch":
        batch = cls(record["source"], float(record["until"]))
        for event_id, offset in record["seen"].items():
            batch.add(UUID(event_id).int, offset)
        return batch

    def add(self, event_id: int, offset: int) -> None:
        self.ids.append(event_id)
        self.offsets.append(offset)

    def offset_of(self, event_id: int) -> int:
        """A scan, but only for an id the index holds: a re-send or a replay, never the
        common case of an event seen for the first time."""
        return self.offsets[self.ids.index(event_id)]

    def __json__(self) -> dict[str, Any]:
        seen = {str(UUID(int=i)): offset for i, offset in zip(self.ids, self.offsets, strict=True)}
        return {"source": self.source, "until": self.until, "seen": seen}


@dataclass
class _Memory:
    """What is read back from the table after a rebalance."""

    index: dict[int, str]  # event id (as an int) -> the key of the batch that holds it
    batches: dict[str, Batch]  # key -> batch
    # source -> its batches' keys, oldest first (a deque: a dict that loses its first keys
    # one by one costs a scan of the holes they leave each time it is iterated from the start)
    by_source: dict[str, deque[str]]
    newest: dict[str, float]  # source -> the newest produce time seen


class SeenBatches:
    def __init__(self, table: Any, horizon: timedelta, writes: Writes):
        self.table = table
        self.horizon = horizon.total_seconds()
        self.writes = writes
        self.filling: dict[str, str] = {}  # source -> the key of its batch until the commit
        self._memory: _Memory | None = None
        writes.on_send(self.seal)

    def first(self, event: Event) -> str | None:
        """The position that counted `event` (None: it was never counted)."""
        memory, event_id = self.memory(), event.event_id.int
        key = memory.index.get(event_id)
        if key is None:
            return None
        batch = memory.batches[key]
        return f"{batch.source}@{batch.offset_of(event_id)}"

    def remember(self, event: Event, at: Position, produced: float) -> None:
        """`event` was counted at `at`; `produced`: its record's Kafka timestamp (seconds)."""
        memory = self.memory()
        source, event_id = at.source, event.event_id.int
        key = self.filling.get(source)
        if key is None or key not in memory.batches:
            key = self.filling[source] = str(at)
            if key not in memory.batches:  # else a replay's: its batch landed, extend it
                memory.batches[key] = Batch(source, produced)
                memory.by_source.setdefault(source, deque()).append(key)
        batch = memory.batches[key]
        if memory.index.get(event_id) != key:  # (a replay may hand it the same id again)
            batch.add(event_id, at.offset)
            memory.index[event_id] = key
        if produced > batch.until:
            batch.until = produced
        self.writes.set(self.table, key, batch)
        if produced > memory.newest.get(source, 0.0):
            memory.newest[source] = produced
            self._expire(memory, source)

    def seal(self) -> None:
        """The batches were handed to the changelog (a commit's flush): the next ids of each
        source start a batch of their own."""
        self.filling.clear()

    def forget(self) -> None:
        """After a revoke: another worker may own those partitions now."""
        self.filling.clear()
        self._memory = None

    def memory(self) -> _Memory:
        if self._memory is None:
            self._memory = read_back(self.table.data)
        return self._memory

    def _expire(self, memory: _Memory, source: str) -> None:
        """Deletes the source's batches a horizon older than its newest produce time. Only
        the source in hand: its changelog partition is the one a write goes to now."""
        cutoff = memory.newest[source] - self.horizon
        keys = memory.by_source[source]
        # Oldest first, up to the first young enough. Produce times rise batch by batch,
        # except a replay's; a young batch before an old one only delays the old one's turn.
        while keys and memory.batches[keys[0]].until < cutoff:
            key = keys.popleft()
            for event_id in memory.batches.pop(key).ids:
                if memory.index.get(event_id) == key:  # not remembered again since
                    del memory.index[event_id]
            if self.filling.get(source) == key:
                del self.filling[source]
            self.writes.delete(self.table, key)


def read_back(data: MutableMapping[str, Any]) -> _Memory:
    """The memory from the table's local store (what Faust recovered of its changelog). A
    recovered record is a dict: it is replaced in the store by its compact batch, so the
    store and the memory hold the same object, not one of each."""
    memory = _Memory({}, {}, {}, {})
    kept: list[tuple[str, Batch]] = []
    for key, value in list(data.items()):
        if _is_record(value):
            data[key] = value = Batch.of_record(value)
        if isinstance(value, Batch):
            kept.append((key, value))
    for key, batch in sorted(kept, key=lambda item: item[1].until):
        memory.batches[key] = batch
        memory.by_source.setdefault(batch.source, deque()).append(key)
        memory.newest[batch.source] = max(memory.newest.get(batch.source, 0.0), batch.until)
        for event_id in batch.ids:
            memory.index[event_id] = key
    return memory


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and {"source", "until", "seen"} <= value.keys()
