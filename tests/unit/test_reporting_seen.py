"""Reporting's dedupe memory (services/reporting/seen.py): one changelog record per source
partition per commit, a re-send recognised after a restart, and ids forgotten a horizon later
in the records' produce time, so memory stays bounded however long the worker runs."""

import json
import uuid
from datetime import timedelta
from typing import Any

from schemas import Event, Region
from services.reporting.deferred import DeferredWrites
from services.reporting.positions import Position
from services.reporting.seen import SeenBatches
from tests import contact_events
from tests.unit.test_exactly_once_counts import MORNING

HORIZON = timedelta(hours=1)
QUEUED, CLASSIFIED = "pkc.queue.events/3", "pkc.contacts.classified/3"


class Table:
    """A changelogged table as SeenBatches uses it: a local store (`data`) and the records
    its writes send to the changelog (None: a tombstone)."""

    name = "sla-seen-batches"
    value_serializer = "json"

    def __init__(self, data: dict[str, Any] | None = None):
        self.data: dict[str, Any] = data or {}
        self.changelog: list[tuple[str, Any]] = []

    def send_changelog(self, partition: int, key: str, value: bytes | None, **_: Any) -> None:
        assert partition == 3, "a source's batches go to its own partition"
        self.changelog.append((key, None if value is None else json.loads(value)))

    def recovered(self) -> "Table":
        """What a new worker's table holds after recovery: the changelog compacted."""
        data: dict[str, Any] = {}
        for key, value in self.changelog:
            if value is None:
                data.pop(key, None)
            else:
                data[key] = json.loads(json.dumps(value))  # its own copy, as deserialized
        return Table(data)


def memory_over(table: Table) -> tuple[SeenBatches, DeferredWrites]:
    writes = DeferredWrites(partition=lambda: 3)
    return SeenBatches(table, HORIZON, writes), writes


def an_event() -> Event:
    return contact_events.queued(MORNING, region=Region.MITT, triage_seconds=0)


def produced(minutes: float) -> float:
    return (MORNING + timedelta(minutes=minutes)).timestamp()


def remembered(seen: SeenBatches, how_many: int, minutes: float) -> list[Event]:
    """New events counted at QUEUED's offsets 0 .., each produced `minutes` into the morning."""
    events = [an_event() for _ in range(how_many)]
    for offset, event in enumerate(events):
        seen.remember(event, Position(QUEUED, offset), produced(minutes))
    return events


def test_the_changelog_gets_one_record_per_source_per_commit_not_one_per_event() -> None:
    table = Table()
    seen, writes = memory_over(table)
    for offset in range(100):
        seen.remember(an_event(), Position(QUEUED, offset), produced(offset / 60))
        seen.remember(an_event(), Position(CLASSIFIED, offset), produced(offset / 60))
    assert writes.send() == 2
    for offset in range(100, 150):
        seen.remember(an_event(), Position(QUEUED, offset), produced(offset / 60))
    assert writes.send() == 1  # only the new batch: the first commit's are not sent again
    keys = [key for key, _ in table.changelog]
    assert keys == [f"{QUEUED}@0", f"{CLASSIFIED}@0", f"{QUEUED}@100"]
    assert [len(batch["seen"]) for _, batch in table.changelog] == [100, 100, 50]


def test_a_re_send_is_recognised_by_a_worker_that_read_the_memory_back() -> None:
    table = Table()
    seen, writes = memory_over(table)
    events = [an_event() for _ in range(30)]
    for offset, event in enumerate(events):
        seen.remember(event, Position(QUEUED, offset), produced(0))
        if offset % 10 == 9:
            writes.send()  # a commit every ten

    restarted, _ = memory_over(table.recovered())
    assert restarted.first(events[3]) == f"{QUEUED}@3"
    assert restarted.first(events[29]) == f"{QUEUED}@29"
    assert restarted.first(an_event()) is None


def test_a_worker_that_reads_the_memory_again_after_a_revoke_still_knows_every_id() -> None:
    """After a rebalance the memory is read again from the worker's own store, which holds
    both the batches it built and the records it recovered from the changelog."""
    earlier = Table()
    seen, writes = memory_over(earlier)
    recovered = remembered(seen, 3, minutes=0)
    writes.send()
    table = earlier.recovered()
    seen, writes = memory_over(table)
    built = an_event()
    seen.remember(built, Position(QUEUED, 3), produced(1))
    writes.send()

    seen.forget()
    assert [seen.first(event) for event in [*recovered, built]] == [
        f"{QUEUED}@{offset}" for offset in range(4)
    ]
    assert seen.first(an_event()) is None


def test_ids_a_horizon_older_in_produce_time_are_forgotten_and_deleted() -> None:
    table = Table()
    seen, writes = memory_over(table)
    old = remembered(seen, 5, minutes=0)
    writes.send()
    young = an_event()
    # Produced just inside the horizon: the old batch is kept.
    seen.remember(young, Position(QUEUED, 5), produced(59))
    assert seen.first(old[0]) == f"{QUEUED}@0"
    # The partition's produce time moves past it: gone, and a tombstone for its record.
    seen.remember(an_event(), Position(QUEUED, 6), produced(61))
    assert seen.first(old[0]) is None
    assert seen.first(young) == f"{QUEUED}@5"
    writes.send()
    assert (f"{QUEUED}@0", None) in table.changelog
    assert f"{QUEUED}@0" not in table.recovered().data


def test_memory_stays_bounded_by_the_horizon_over_a_long_run() -> None:
    seen, writes = memory_over(Table())
    per_minute = 10
    for minute in range(6 * 60):  # six hours, a commit a minute
        for i in range(per_minute):
            offset = minute * per_minute + i
            seen.remember(an_event(), Position(QUEUED, offset), produced(minute))
        writes.send()
    memory = seen.memory()
    assert len(memory.index) <= (HORIZON.total_seconds() / 60 + 1) * per_minute
    assert len(memory.batches) <= HORIZON.total_seconds() / 60 + 1


def test_a_replayed_batch_is_extended_and_expires_once() -> None:
    """A worker killed after its batch landed but before the commit: the replay starts the
    same batch again (same first position) and must not list it twice for expiry."""
    table = Table()
    crashed, writes = memory_over(table)
    events = [an_event() for _ in range(10)]
    for offset, event in enumerate(events[:6]):
        crashed.remember(event, Position(QUEUED, offset), produced(0))
    writes.send()  # landed, but the commit after it did not happen

    recovered = table.recovered()
    replaying, writes = memory_over(recovered)
    for offset, event in enumerate(events):
        assert replaying.first(event) in (None, f"{QUEUED}@{offset}")  # a replay, not a re-send
        replaying.remember(event, Position(QUEUED, offset), produced(0))
    writes.send()
    assert [(key, len(batch["seen"])) for key, batch in recovered.changelog] == [
        (f"{QUEUED}@0", 10)
    ]
    replaying.remember(an_event(), Position(QUEUED, 10), produced(120))  # two hours on
    assert all(replaying.first(event) is None for event in events)
    assert replaying.memory().by_source[QUEUED].count(f"{QUEUED}@0") == 0


def test_records_of_the_old_windowed_table_are_not_read_as_batches() -> None:
    old_record = {json.dumps([str(uuid.uuid4()), [0, 21600]]): "pkc.queue.events/3@7"}
    seen, _ = memory_over(Table(old_record))
    assert seen.first(an_event()) is None
