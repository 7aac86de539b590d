"""A region's queue-state snapshot (schemas/queue_state.py) as queueing builds it, and when its
publisher sends one: on a change, at least every interval, only from the leading replica."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from domain.service_level import ServiceLevelPolicy
from schemas import Channel, QueueName, Region
from schemas.access import principals_allowed
from schemas.queue_state import QueueState
from schemas.topics import QUEUE_STATE
from services.queueing.domain import OperatorStatus
from services.queueing.queue_state import (
    Staff,
    Waiting,
    operator_state,
    snapshot,
)
from services.queueing.queue_state_publisher import (
    LEAST_GAP_SECONDS,
    LOOK_SHARE,
    QueueStatePublisher,
    kafka_sender,
    look_gap,
)

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
POLICY = ServiceLevelPolicy()


def waiting(queue: QueueName, channel: Channel, priority: int, count: int, age: float) -> Waiting:
    oldest = NOW - timedelta(seconds=age)
    late = count if age > POLICY.threshold_seconds else 0
    return Waiting(queue.value, channel.value, priority, count, oldest, 0, late)


def test_depths_per_priority_channel_and_queue_add_up_with_the_oldest_wait() -> None:
    groups = [
        waiting(QueueName.CRIME_REPORT, Channel.PHONE, 3, 2, age=120),
        waiting(QueueName.CRIME_REPORT, Channel.MAIL, 5, 1, age=900),
        waiting(QueueName.URGENT, Channel.PHONE, 1, 1, age=30),
    ]
    state = snapshot(Region.VAST, NOW, groups, [], POLICY)
    assert state.waiting_total == 4
    assert state.waiting_by_priority == {"1": 1, "2": 0, "3": 2, "4": 0, "5": 1}
    assert state.waiting_by_channel[Channel.PHONE] == 3
    assert state.waiting_by_channel[Channel.MAIL] == 1
    assert set(state.waiting_by_channel) == set(Channel), "every channel, zeros too"
    assert state.waiting_by_queue == {
        QueueName.CRIME_REPORT: 3,
        QueueName.URGENT: 1,
        QueueName.SWITCHBOARD: 0,
    }
    assert state.oldest_wait_seconds == 900
    assert state.oldest_wait_by_queue[QueueName.URGENT] == 30
    assert state.service_level.waiting_over_threshold == 1
    assert state.service_level.target == POLICY.target


def test_an_empty_region_is_all_zeros_read_at_a_utc_instant() -> None:
    stockholm = NOW.astimezone(timezone(timedelta(hours=2)))
    state = snapshot(Region.NORD, stockholm, [], [], POLICY)
    assert state.as_of.utcoffset() == timedelta(0)
    assert state.waiting_total == 0
    assert state.oldest_wait_seconds == 0
    assert state.operators.ready == state.operators.paused == 0


def test_operators_by_state_and_pause_reasons_without_free_text() -> None:
    staff = [
        Staff("ready", None, holds_contact=False),
        Staff("ready", None, holds_contact=True),
        Staff("paused", "Rast", holds_contact=False),
        Staff("paused", "hämtar Kalle på förskolan", holds_contact=False),
        Staff("signed_out", None, holds_contact=False),
    ]
    counts = snapshot(Region.VAST, NOW, [], staff, POLICY).operators
    assert (counts.ready, counts.busy, counts.paused, counts.signed_out) == (1, 1, 2, 1)
    assert counts.paused_by_reason == {
        "rast": 1,
        "utbildning": 0,
        "administration": 0,
        "offer_declined": 0,
        "other": 1,
    }
    assert "Kalle" not in counts.model_dump_json(), "a typed reason never reaches the topic"


@pytest.mark.parametrize("status", list(OperatorStatus))
def test_every_operator_status_has_a_published_state(status: OperatorStatus) -> None:
    """A status added to queueing (offered, wrap-up) fails here until it is mapped."""
    assert isinstance(operator_state(status.value, holds_contact=False), OperatorStatus)


def test_depths_that_do_not_add_up_are_refused() -> None:
    good = snapshot(
        Region.VAST, NOW, [waiting(QueueName.URGENT, Channel.PHONE, 1, 1, 5)], [], POLICY
    )
    broken = json.loads(good.model_dump_json())
    broken["waiting_total"] = 2
    with pytest.raises(ValidationError, match="add up"):
        QueueState.model_validate(broken)


def test_the_snapshot_names_no_person_and_no_contact() -> None:
    fields = json.dumps(QueueState.model_json_schema())
    for personal in ("operator_id", "contact_id", '"name"', "pause_reason"):
        assert personal not in fields


class Sent:
    def __init__(self) -> None:
        self.states: list[QueueState] = []

    async def __call__(self, state: QueueState) -> None:
        self.states.append(state)


async def test_sends_every_region_first_then_only_changes_until_the_interval_is_up() -> None:
    depth = {"n": 0}

    def read() -> list[QueueState]:
        groups = [waiting(QueueName.URGENT, Channel.PHONE, 1, depth["n"], 5)] if depth["n"] else []
        later = NOW + timedelta(seconds=depth["n"])
        return [snapshot(region, later, groups, [], POLICY) for region in Region]

    sent = Sent()
    publisher = QueueStatePublisher(read, lambda: True, sent, interval_seconds=3600)
    assert await publisher.publish_due() == len(Region), "every region at start"
    assert await publisher.publish_due() == 0, "nothing changed, the interval is not up"
    depth["n"] = 1
    assert await publisher.publish_due() == len(Region)
    assert sent.states[-1].waiting_total == 1
    publisher.interval_seconds = 0
    assert await publisher.publish_due() == len(Region), "the interval is up: again"


async def test_a_replica_that_does_not_lead_sends_nothing() -> None:
    sent = Sent()
    publisher = QueueStatePublisher(
        lambda: [snapshot(Region.VAST, NOW, [], [], POLICY)], lambda: False, sent
    )
    assert await publisher.publish_due() == 0
    assert sent.states == []


async def test_a_snapshot_goes_to_its_topic_keyed_by_region() -> None:
    records: list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]] = []

    async def send_raw(
        topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        records.append((topic, value, key, headers))

    await kafka_sender(send_raw)(snapshot(Region.OST, NOW, [], [], POLICY))
    [(topic, value, key, headers)] = records
    assert (topic, key, headers) == (QUEUE_STATE.name, b"ost", [("state_type", b"QueueState.v1")])
    assert value is not None
    assert QueueState.model_validate_json(value).region == Region.OST


def test_only_queueing_writes_the_queue_state_and_it_is_compacted_by_region() -> None:
    assert principals_allowed("topic", QUEUE_STATE.name, "Write") == {"queueing"}
    assert (QUEUE_STATE.compacted, QUEUE_STATE.key) == (True, "region")


class Looks:
    """A publisher whose reads are counted, woken only by commits (`notify`); each read takes
    `read_seconds` (the work of grouping a queue)."""

    def __init__(self, least_gap: float, read_seconds: float = 0.0) -> None:
        self.reads = 0
        self.read_seconds = read_seconds
        self.looked = asyncio.Event()
        self.loop = asyncio.get_running_loop()  # the reads run in a worker thread
        self.publisher = QueueStatePublisher(
            self.read, lambda: True, Sent(), interval_seconds=3600, least_gap_seconds=least_gap
        )
        self.publisher.check_seconds = 3600

    def read(self) -> list[QueueState]:
        time.sleep(self.read_seconds)  # the read's own work, in the publisher's thread
        self.reads += 1
        self.loop.call_soon_threadsafe(self.looked.set)
        return [snapshot(Region.VAST, NOW, [], [], POLICY)]

    async def next_look(self) -> None:
        await asyncio.wait_for(self.looked.wait(), 5)
        self.looked.clear()

    async def burst_after_a_look(self) -> None:
        """Twenty commits right after a look, and no look for the next 0.3 s."""
        await self.next_look()
        for _ in range(20):
            self.publisher.notify()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(self.looked.wait(), 0.3)


async def test_a_commit_makes_it_look_again_at_once() -> None:
    looks = Looks(least_gap=0)
    running = asyncio.create_task(looks.publisher.run())
    try:
        await looks.next_look()
        looks.publisher.notify()
        await looks.next_look()
    finally:
        running.cancel()
    assert looks.reads == 2


async def test_a_burst_of_commits_within_its_least_gap_makes_it_look_no_more() -> None:
    """Each look reads every waiting contact: under load, every commit woke it for one."""
    looks = Looks(least_gap=3600)
    running = asyncio.create_task(looks.publisher.run())
    try:
        await looks.burst_after_a_look()
    finally:
        running.cancel()
    assert looks.reads == 1


async def test_a_costly_read_spaces_the_looks_out_whatever_the_commits() -> None:
    """A long queue makes each read cost more: reads take at most LOOK_SHARE of the time."""
    looks = Looks(least_gap=0, read_seconds=0.05)  # the next look no sooner than 1 s after
    running = asyncio.create_task(looks.publisher.run())
    try:
        await looks.burst_after_a_look()
        await looks.next_look()  # and it does look again
    finally:
        running.cancel()
    assert looks.reads == 2
    assert look_gap(0.05, 0, 3600) == pytest.approx(0.05 / LOOK_SHARE)
    assert look_gap(0.001, LEAST_GAP_SECONDS, 3600) == LEAST_GAP_SECONDS
    assert look_gap(5.0, LEAST_GAP_SECONDS, 1.0) == 1.0, "one slow read holds back no heartbeat"
