"""The contract for third-party wallboards (docs/queue-state.md): a plain aiokafka consumer
reads pkc.queue.state from a running queueing process on a real broker, sees a region's depth
change when a contact is queued, and a snapshot of every region at least every interval."""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path

import jsonschema
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from pkc.polling import poll_async
from schemas import Channel, Region
from schemas.jsonschema import JSON_DIR
from schemas.queue_state import QueueState
from schemas.topics import QUEUE_STATE
from services.queueing.bootstrap import QueueingProcess, bootstrap
from services.queueing.settings import QueueingSettings
from services.shared.clock import SimulatedClock
from services.shared.runtime import running
from tests.e2e.conftest import SIMULATED_START
from tests.queueing_contacts import classified

pytestmark = pytest.mark.kafka
INTERVAL = 1.0
SCHEMA = json.loads((JSON_DIR / "QueueState.v1.json").read_text("utf-8"))


class Wallboard:
    """What a third party would write: a consumer of the topic, records by region."""

    def __init__(self, consumer: AIOKafkaConsumer):
        self.consumer = consumer
        self.records: list[tuple[bytes, QueueState, float]] = []  # key, state, broker time (s)

    async def read(self) -> None:
        batches = await self.consumer.getmany(timeout_ms=200)
        for record in (r for batch in batches.values() for r in batch):
            assert record.value is not None
            assert record.key is not None
            jsonschema.validate(json.loads(record.value), SCHEMA)
            state = QueueState.model_validate_json(record.value)
            self.records.append((record.key, state, record.timestamp / 1000))

    def of(self, region: Region) -> list[QueueState]:
        return [state for key, state, _ in self.records if key == region.value.encode()]


@pytest.fixture
async def wallboard(kafka: str) -> AsyncIterator[Wallboard]:
    """Reads from the end: what earlier tests' processes published is not this test's."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(QUEUE_STATE.name, p) for p in range(QUEUE_STATE.partitions)]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    try:
        yield Wallboard(consumer)
    finally:
        await consumer.stop()


@pytest.fixture
async def queueing(kafka: str, state_dir: Path) -> AsyncIterator[QueueingProcess]:
    settings = QueueingSettings(
        state_dir=state_dir,
        kafka_bootstrap_servers=kafka,
        live_interval_seconds=0.2,
        queue_state_interval_seconds=INTERVAL,
    )
    process = bootstrap(settings, SimulatedClock(SIMULATED_START))
    async with running(process.producer, (), process.background()):
        yield process


async def test_a_wallboard_sees_the_depth_change_and_a_snapshot_every_interval(
    queueing: QueueingProcess, wallboard: Wallboard
) -> None:
    async def seen(waiting: int) -> QueueState | None:
        await wallboard.read()
        return next((s for s in wallboard.of(Region.OST) if s.waiting_total == waiting), None)

    await poll_async(lambda: seen(0), "ost's first snapshot", timeout=60)

    async def every_region_seen() -> bool:
        # Each region's snapshot is on its own partition: ost's may be read before the others.
        await wallboard.read()
        return {key for key, _, _ in wallboard.records} >= {r.value.encode() for r in Region}

    await poll_async(every_region_seen, "a snapshot of every region", timeout=30)
    now = queueing.core.clock.now()
    await asyncio.to_thread(
        queueing.core.contacts.enqueue, classified(Region.OST, priority=2, at=now), now
    )
    queued = await poll_async(lambda: seen(1), "ost's depth after a contact", timeout=30)
    assert queued.waiting_by_priority["2"] == 1
    assert queued.waiting_by_channel[Channel.PHONE] == 1

    # Idle now: ost's state does not change, and a snapshot still comes every interval.
    since = len(wallboard.of(Region.OST))

    async def idle_snapshots() -> bool:
        await wallboard.read()
        return len(wallboard.of(Region.OST)) >= since + 4

    await poll_async(idle_snapshots, "snapshots of an idle region", timeout=60)
    times = [t for key, _, t in wallboard.records if key == b"ost"][since - 1 :]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert max(gaps) < INTERVAL * 2.5, f"gaps between snapshots: {gaps}"
    assert all(s.waiting_total == 1 for s in wallboard.of(Region.OST)[since:])


async def test_the_topic_is_compacted_and_keyed_by_region(kafka: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        [described] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, QUEUE_STATE.name)]
        )
    finally:
        await admin.close()
    configs = {entry[0]: entry[1] for entry in described.resources[0][4]}
    assert configs["cleanup.policy"] == "compact"
    assert QUEUE_STATE.key == "region"
