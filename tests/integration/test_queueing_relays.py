"""Two queueing replicas on one database each run an outbox relay: each row is published by one
of them, in commit order (so in order per contact), and when the leading relay dies mid-way its
lease runs out and the other carries on. SQLite and PostgreSQL; the producer records what the
broker would have acknowledged."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from pkc.polling import poll_async
from schemas import Region
from schemas.codec import decode_event
from schemas.envelope import Event
from services.queueing.domain import Outcome
from services.queueing.outbox import OutboxRelay
from services.queueing.outbox_store import OutboxStore
from services.queueing.tables import OutboxRecord
from tests.queueing_contacts import NOW, Queueing, classified

# Long enough that a busy test machine's stalls never cost a leader its lease (a lost lease is
# a re-send, by design); short enough that the takeover test waits little.
LEASE_SECONDS = 1.5


class Broker:
    """What reached the broker, in order, and which relay sent each event."""

    def __init__(self) -> None:
        self.received: list[tuple[str, uuid.UUID]] = []

    def event_ids(self) -> list[uuid.UUID]:
        return [event_id for _, event_id in self.received]


class RecordingProducer:
    """Acknowledges at once; after `dies_after` events it hangs, as a frozen process would."""

    def __init__(self, name: str, broker: Broker, dies_after: int | None = None):
        self.name, self.broker, self.dies_after = name, broker, dies_after
        self.sent = 0

    async def enqueue(self, event: Event, *, wire: bytes | None = None) -> "asyncio.Future[Any]":
        assert wire is None or decode_event(wire).event_id == event.event_id
        if self.dies_after is not None and self.sent >= self.dies_after:
            await asyncio.Event().wait()  # never returns: killed mid-batch
        self.sent += 1
        self.broker.received.append((self.name, event.event_id))
        acked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked


def _busy_day(replicas: list[Queueing], contacts: int) -> list[uuid.UUID]:
    """Contacts queued, taken, answered and resolved through both replicas in turn; the outbox
    event ids in commit order."""
    for i in range(contacts):
        q = replicas[i % 2]
        event = classified()
        q.contacts.enqueue(event, NOW)
        operator = q.log_in(f"op-{i}", Region.VAST)
        q.take(operator)
        q.contacts.answer(operator, event.contact_id, NOW)
        other = replicas[(i + 1) % 2]  # the outcome arrives at the other replica
        other.contacts.resolve(operator, event.contact_id, Outcome.INFORMATION_GIVEN, NOW)
    with Session(replicas[0].db.engine) as session:
        rows = session.exec(select(OutboxRecord).order_by(col(OutboxRecord.id))).all()
        return [uuid.UUID(json.loads(r.event_json)["event_id"]) for r in rows]


@asynccontextmanager
async def relaying(relay: OutboxRelay) -> AsyncIterator["asyncio.Task[None]"]:
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _relay(
    q: Queueing, producer: RecordingProducer, lease_seconds: float = LEASE_SECONDS
) -> OutboxRelay:
    return OutboxRelay(OutboxStore(q.db.engine), producer, lease_seconds, batch_size=5)


def _all_received(broker: Broker, wanted: int) -> Callable[[], Any]:
    async def probe() -> bool:
        return len(broker.received) >= wanted

    return probe


async def test_two_relays_publish_each_row_once_in_commit_order(database_url: str) -> None:
    replicas = [Queueing(database_url), Queueing(database_url)]
    committed = _busy_day(replicas, contacts=12)
    broker = Broker()
    first, second = (
        _relay(q, RecordingProducer(f"r{i}", broker), lease_seconds=10)
        for i, q in enumerate(replicas)
    )
    async with relaying(first), relaying(second):
        await poll_async(_all_received(broker, len(committed)), "every row published")
        await poll_async(lambda: _all_marked(replicas[0]), "every row marked published")
    assert broker.event_ids() == committed, "each row once, in commit order"
    assert len({relay for relay, _ in broker.received}) == 1, "one leader published"


async def test_when_the_leader_dies_mid_way_the_other_relay_continues(database_url: str) -> None:
    replicas = [Queueing(database_url), Queueing(database_url)]
    committed = _busy_day(replicas, contacts=8)
    broker = Broker()
    leader = _relay(replicas[0], RecordingProducer("leader", broker, dies_after=10))
    follower = _relay(replicas[1], RecordingProducer("follower", broker))
    assert leader.outbox.claim(leader.holder, LEASE_SECONDS), "the first relay leads"
    async with relaying(leader) as leading:
        await poll_async(_all_received(broker, 10), "the leader's first two batches")
        async with relaying(follower):
            assert not leading.done(), "the leader hangs mid-batch, still renewing its lease"
            leading.cancel()  # ... and is killed: its lease is not given back, it runs out
            await poll_async(_all_received(broker, len(committed)), "the rest, by the follower")
            await poll_async(lambda: _all_marked(replicas[0]), "every row marked published")
    assert broker.event_ids() == committed, "each row once, in commit order"
    senders = [relay for relay, _ in broker.received]
    assert senders == ["leader"] * 10 + ["follower"] * (len(committed) - 10)


def test_a_lease_is_held_by_one_relay_until_it_runs_out_or_is_given_back(
    database_url: str,
) -> None:
    store = OutboxStore(Queueing(database_url).db.engine)
    other = OutboxStore(Queueing(database_url).db.engine)
    t0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    assert store.claim("a", 10, t0)
    assert not other.claim("b", 10, t0 + timedelta(seconds=9)), "a holds it"
    assert store.claim("a", 10, t0 + timedelta(seconds=9)), "a renews"
    assert not other.mark_published([], "b", 10, t0), "only the holder marks rows"
    assert other.claim("b", 10, t0 + timedelta(seconds=20)), "a stopped renewing: b takes over"
    assert not store.mark_published([], "a", 10, t0 + timedelta(seconds=21)), "a lost it"
    store.release("a")
    assert not store.claim("a", 10, t0 + timedelta(seconds=21)), "a cannot give back b's lease"
    other.release("b")
    assert store.claim("a", 10, t0 + timedelta(seconds=21)), "given back: free at once"


async def _all_marked(q: Queueing) -> bool:
    def count() -> int:
        with Session(q.db.engine) as session:
            pending = select(OutboxRecord).where(col(OutboxRecord.published).is_(False))
            return len(session.exec(pending).all())

    return await asyncio.to_thread(count) == 0
