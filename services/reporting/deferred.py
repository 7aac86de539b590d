"""Table writes that reach the changelog once per commit, not once per event.

Every event rewrote its region's meta and its minute's bucket: two changelog records, each
serialized, sent and stored by the broker, where the next event of the region (or of the
minute) would overwrite both within milliseconds. Only what stands at a commit matters: a
worker that dies replays from its last commit, and a changelog record keeps the input
positions it has taken in (positions.py), so a record from any instant after the commit is as
good as one per event.

So a write changes the table's local store at once (readers and the next event see it), and
the key is remembered; just before each commit's flush (flush.py) every remembered key's value
is serialized and handed to the changelog, in one synchronous pass. That pass is also what
makes each record a snapshot: the values hold mutable parts (a bucket's counts are added to in
place), and Faust serializes what it is given only when its producer gets to it, by which time
later events may have changed the counts and not yet the positions that go with them.
"""

from collections.abc import Callable
from typing import Any, Protocol

import faust
from faust.serializers import codecs


class Writes(Protocol):
    """How the counting code writes a table: at once, or deferred to the commit."""

    def set(self, table: Any, key: str, value: Any) -> None: ...
    def delete(self, table: Any, key: str) -> None: ...
    def send(self) -> int:
        """Before each commit's flush: sends what was held back; returns how many."""
        ...

    def on_send(self, callback: Callable[[], object]) -> None:
        """`callback` runs right after each `send`, in the same instant."""
        ...


class DirectWrites:
    """A write is the table's own: Faust sends a changelog record for each (and plain dicts,
    as the unit tests use, just store it)."""

    def set(self, table: Any, key: str, value: Any) -> None:
        table[key] = value

    def delete(self, table: Any, key: str) -> None:
        if key in table:
            del table[key]

    def send(self) -> int:
        return 0  # nothing held back

    def on_send(self, callback: Callable[[], object]) -> None:
        pass  # every write is sent as it is made: there is no send to follow


def event_partition() -> int:
    """The partition of the record the agent has in hand: a table's changelog partition is
    its source partition (Faust's own rule for table writes)."""
    event = faust.current_event()
    if event is None:
        raise RuntimeError("a table was written outside the agent")
    partition: int = event.message.partition
    return partition


class DeferredWrites:
    def __init__(self, partition: Callable[[], int] = event_partition):
        self.partition = partition
        # (table name, key) -> (table, changelog partition, key, value; None: deleted): what
        # the next flush sends. The value is the object the store holds, as it changes.
        self.pending: dict[tuple[str, str], tuple[Any, int, str, Any]] = {}
        self.after_send: list[Callable[[], object]] = []

    def set(self, table: Any, key: str, value: Any) -> None:
        table.data[key] = value
        self.pending[(table.name, key)] = (table, self.partition(), key, value)

    def delete(self, table: Any, key: str) -> None:
        if key not in table.data:
            return
        del table.data[key]
        self.pending[(table.name, key)] = (table, self.partition(), key, None)

    def send(self) -> int:
        """Hands every pending key's value as it stands now (a tombstone for a deleted key) to
        its changelog; returns how many. No await in between: one instant's snapshot."""
        pending, self.pending = self.pending, {}
        for table, partition, key, value in pending.values():
            data = None if value is None else codecs.dumps(table.value_serializer, value)
            table.send_changelog(partition, key, data, value_serializer="raw")
        for callback in self.after_send:
            callback()
        return len(pending)

    def on_send(self, callback: Callable[[], object]) -> None:
        self.after_send.append(callback)
