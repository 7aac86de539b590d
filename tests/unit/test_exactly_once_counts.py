"""Reporting counts each event once when a worker dies with its table writes half-landed.

A worker killed with -9 leaves each changelog cut somewhere after its last commit: some of its
writes landed, the later ones in each changelog did not, and the changelogs are cut at
different places. The worker that takes the partition over starts from what landed and replays
every record after the commit. Here the changelogs are dicts that log each write as the broker
would keep it; every cut of every changelog must end in the counts of a run without a crash, and
each alert the uninterrupted run decided must have been sent by one of the two workers.
"""

import asyncio
import copy
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.trace import INVALID_SPAN

from domain.service_level import NATIONAL
from schemas import Event, Queued, Region, SlaStatus
from schemas.topics import CONTACTS_CLASSIFIED
from services.reporting.counting import Windows
from services.reporting.decisions import DecisionRules
from services.reporting.deferred import DeferredWrites, DirectWrites, Writes
from services.reporting.seen import SeenBatches
from services.reporting.state import RegionMeta
from services.reporting.stream import Reporting
from services.reporting.window import WindowConfig
from tests import contact_events
from tests.queueing_contacts import classified

MORNING = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm
TOPIC, PARTITION = "pkc.queue.events", 2
# Co-partitioned with TOPIC: a region's records of both share PARTITION, as the agent reads them.
CLASSIFIED_TOPIC = CONTACTS_CLASSIFIED.name


class Changelog(dict[str, Any]):
    """A table whose every write is also logged as the broker would keep it (a copy). Its
    `data` is its store without the log, and `send_changelog` logs what the deferred writes
    send at a flush (services/reporting/deferred.py), as Faust's tables have them."""

    name = "table"
    value_serializer = "json"

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, Any]] = []
        self.name = f"table-{id(self)}"

    @property
    def data(self) -> "Store":
        return Store(self)

    def send_changelog(self, partition: int, key: str, value: bytes | None, **_: Any) -> None:
        assert partition == PARTITION
        self.log.append((key, None if value is None else json.loads(value)))

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.log.append((key, copy.deepcopy(value)))

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.log.append((key, None))

    def landed(self, writes: int) -> "Changelog":
        """A new table holding what the first `writes` logged writes leave behind."""
        table = Changelog()
        for key, value in self.log[:writes]:
            if value is None:
                dict.pop(table, key, None)
            else:
                dict.__setitem__(table, key, copy.deepcopy(value))
        return table


class Store:
    """A changelogged table's local store: writes to it are not logged."""

    def __init__(self, table: Changelog):
        self.table = table

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self.table, key, value)

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self.table, key)

    def items(self) -> list[tuple[str, Any]]:
        return list(self.table.items())


@dataclass
class Worker:
    reporting: Reporting
    seen: Changelog
    memory: SeenBatches  # the dedupe memory over `seen`, read back from it as a new worker does
    sent: list[Event] = field(default_factory=list)

    @classmethod
    def over(
        cls, buckets: Changelog, regions: Changelog, seen: Changelog, writes: Writes | None = None
    ) -> "Worker":
        config = WindowConfig(length=timedelta(minutes=60))
        rules = DecisionRules(NATIONAL)
        reporting = Reporting(None, buckets, regions, {}, config, rules)  # type: ignore[arg-type]
        reporting.writes = writes or DirectWrites()
        memory = SeenBatches(seen, timedelta(hours=24), reporting.writes)
        return cls(reporting, seen, memory)

    def handle(self, offset: int, event: Event, topic: str = TOPIC) -> None:
        async def send(item: Event, region: Region) -> None:
            self.sent.append(item)

        async def nothing(*_: Any) -> None:
            return None

        windows = Windows(self.reporting, self.memory, send, nothing, nothing)
        produced = event.occurred_at.timestamp()  # Faust's message timestamps are in seconds
        headers = [("event_type", event.EVENT_TYPE.encode())]  # as EventProducer sends them
        message = SimpleNamespace(
            topic=topic, partition=PARTITION, offset=offset, timestamp=produced, headers=headers
        )
        record = SimpleNamespace(value=event.to_json(), message=message)
        asyncio.run(windows.handle(record, INVALID_SPAN))

    def counts(self) -> tuple[Any, ...]:
        state = self.reporting.region(Region.MITT)
        window = state.window()
        meta = state.meta
        minutes = range(meta.latest - 70, meta.latest + 1)
        return (window, meta.late, meta.waiting, [state.buckets.get(m) for m in minutes])


def a_busy_morning(seed: int) -> list[Event]:
    """Mitt's calls over an hour, a third of them answered late: a breach and its alerts."""
    draw = random.Random(seed)
    events: list[Event] = []
    for i in range(90):
        received = MORNING + timedelta(seconds=40 * i)
        wait = draw.choice([30.0, 90.0, 700.0, 900.0] if i > 30 else [30.0, 60.0])
        queued = contact_events.queued(received, region=Region.MITT, triage_seconds=0)
        if draw.random() < 0.1:
            ended: Event = contact_events.abandoned(received, wait, region=Region.MITT)
        else:
            ended = contact_events.answered(received, wait, region=Region.MITT)
        events += [queued, ended]
    return sorted(events, key=lambda e: e.occurred_at)


def alerts(events: list[Event]) -> set[Any]:
    return {e.event_id for e in events if not isinstance(e, SlaStatus)}


@pytest.mark.parametrize("seed", range(12))
def test_a_replay_after_half_landed_writes_counts_each_event_once(seed: int) -> None:
    events = a_busy_morning(seed)
    reference = Worker.over(Changelog(), Changelog(), Changelog())
    first_alert = None
    for offset, event in enumerate(events):
        reference.handle(offset, event)
        if first_alert is None and alerts(reference.sent):
            first_alert = offset
    assert first_alert is not None, "the morning breaches: there are alerts to keep"

    # The commit falls a little before the first alert's record, or anywhere later.
    draw = random.Random(1000 + seed)
    if seed % 2:
        committed = first_alert - draw.randint(0, 3)
    else:
        committed = draw.randrange(first_alert, len(events) - 5)
    crashed = Worker.over(Changelog(), Changelog(), Changelog())
    for offset, event in enumerate(events):
        crashed.handle(offset, event)
    tables = crashed.reporting.buckets, crashed.reporting.regions, crashed.seen
    # Every write up to the commit landed (the complete flush); each changelog after it is
    # cut at its own place; the sends likewise.
    before_commit = Worker.over(Changelog(), Changelog(), Changelog())
    for offset, event in enumerate(events[:committed]):
        before_commit.handle(offset, event)
    floors = (
        len(before_commit.reporting.buckets.log),
        len(before_commit.reporting.regions.log),
        len(before_commit.seen.log),
    )
    landed = [
        t.landed(draw.randint(floor, len(t.log))) for t, floor in zip(tables, floors, strict=True)
    ]
    sends = draw.choice([len(before_commit.sent), draw.randint(0, len(crashed.sent))])
    sent_before = crashed.sent[: max(sends, len(before_commit.sent))]

    taking_over = Worker.over(*landed)
    for offset in range(committed, len(events)):
        taking_over.handle(offset, events[offset])

    assert taking_over.counts() == reference.counts()
    # Each alert sent at least once, and no other: a repeat has the same id, dropped downstream.
    assert alerts(sent_before + taking_over.sent) == alerts(reference.sent)


@pytest.mark.parametrize("seed", range(12))
def test_writes_deferred_to_the_commit_count_each_event_once_after_a_crash(seed: int) -> None:
    """The worker's buckets and metas reach the changelog only at a commit's flush, each as it
    stands then (deferred.py): a crash after any flush leaves every later flush's records
    landed up to some place in each changelog, and the replay from the commit is exact."""
    events = a_busy_morning(seed)
    reference = Worker.over(Changelog(), Changelog(), Changelog())
    for offset, event in enumerate(events):
        reference.handle(offset, event)

    draw = random.Random(2000 + seed)
    writes = DeferredWrites(partition=lambda: PARTITION)
    crashed = Worker.over(Changelog(), Changelog(), Changelog(), writes)
    tables = crashed.reporting.buckets, crashed.reporting.regions, crashed.seen
    flushes: list[tuple[int, tuple[int, ...]]] = []  # (next offset, each changelog's length)
    for offset, event in enumerate(events):
        crashed.handle(offset, event)
        if draw.random() < 0.15:  # a commit interval's worth of events
            writes.send()
            flushes.append((offset + 1, tuple(len(t.log) for t in tables)))
    writes.send()  # what a flush after the last commit sent may have landed too
    committed, floors = draw.choice(flushes[: len(flushes) - 1])
    landed = [
        t.landed(draw.randint(floor, len(t.log))) for t, floor in zip(tables, floors, strict=True)
    ]

    buckets, regions, seen = landed
    taking_over = Worker.over(buckets, regions, seen, DeferredWrites(partition=lambda: PARTITION))
    for offset in range(committed, len(events)):
        taking_over.handle(offset, events[offset])

    assert taking_over.counts() == reference.counts()
    # Far fewer records than one per write: a region's meta once per flush, not per event.
    assert len(tables[1].log) < len(reference.reporting.regions.log) / 3
    assert len(tables[0].log) < len(reference.reporting.buckets.log)


def test_a_re_sent_event_at_a_new_offset_is_not_counted_again() -> None:
    events = a_busy_morning(seed=1)
    worker = Worker.over(Changelog(), Changelog(), Changelog())
    for offset, event in enumerate(events):
        worker.handle(offset, event)
    once = worker.counts()
    # An outbox relay that published and crashed before it recorded so sends them again.
    for offset, event in enumerate(events[-20:], start=len(events)):
        worker.handle(offset, event)
    assert worker.counts() == once


def test_a_classified_counts_nowhere_and_is_not_written() -> None:
    """The agent reads the classified topic for its RedirectedTo112s; the Classified records
    there change no window, decide nothing and cost no table write."""
    events = a_busy_morning(seed=3)
    reference = Worker.over(Changelog(), Changelog(), Changelog())
    for offset, event in enumerate(events):
        reference.handle(offset, event)
    worker = Worker.over(Changelog(), Changelog(), Changelog())
    for offset, event in enumerate(events):
        if isinstance(event, Queued):  # triage's verdict, on its own topic, just before
            verdict = classified(Region.MITT, at=event.received_at, waited=0)
            worker.handle(offset, verdict, topic=CLASSIFIED_TOPIC)
        worker.handle(offset, event)
    assert worker.counts() == reference.counts()
    assert [e.event_id for e in worker.sent] == [e.event_id for e in reference.sent]
    assert len(worker.reporting.regions.log) == len(reference.reporting.regions.log)
    assert len(worker.seen.log) == len(reference.seen.log)


def test_meta_written_before_positions_were_kept_still_loads() -> None:
    old = {"latest": 5, "waiting": {"4": 1}}
    assert RegionMeta.from_dict(old).taken == {}


@pytest.mark.usefixtures("values_unsearched")
def test_the_agent_takes_each_record_s_type_from_its_header() -> None:
    """As the shared consumers do: the record's value is not searched for its event type."""
    worker = Worker.over(Changelog(), Changelog(), Changelog())
    for offset, event in enumerate(a_busy_morning(seed=2)[:10]):
        worker.handle(offset, event)
    assert worker.reporting.region(Region.MITT).meta.latest
