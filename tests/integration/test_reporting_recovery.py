"""The reporting worker on real Kafka: killed mid-stream (kill -9) and restarted, it neither
loses nor double-counts; malformed records go to its dead-letter topic."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from pkc.polling import poll
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from schemas import Answered, Channel, NeedCategory, Region
from schemas.topics import QUEUE_EVENTS, REPORTING
from services.shared.kafka import EventProducer
from services.shared.kafka.injection import VARIABLE as INJECT_FAULTS
from tests.identities import Headers, Identities
from tests.kafka_helpers import DeadLetter, read_until

pytestmark = pytest.mark.kafka
# Event times after every other test's, so this region's window is this test's alone.
START = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm


async def start_at_the_end(kafka: str, group: str) -> None:
    """Commits the end of every topic the worker reads for a new group: it then counts this
    test's events alone, without replaying what every earlier test left on the session's
    broker (in a full run, more than its time-out allows)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic.name, p)
            for topic in REPORTING.topics
            for p in range(topic.partitions)
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: OffsetAndMetadata(end, "") for tp, end in ends.items()})
    finally:
        await consumer.stop()


def reporting_process(
    kafka: str, identities: Identities, tmp_path: Path, settings: dict[str, str] | None = None
) -> ServiceProcess:
    group = f"pkc-reporting-test-{uuid.uuid4().hex[:8]}"
    asyncio.run(start_at_the_end(kafka, group))
    return ServiceProcess(
        "reporting",
        free_port(),
        tmp_path / "logs",
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "PKC_STATE_DIR": str(tmp_path),
            "PKC_TRACES_EXPORTER": "none",
            "PKC_OIDC_ISSUER": identities.issuer,
            # A fresh consumer group and fresh tables, starting at the topics' end.
            "PKC_REPORTING_FAUST_APP_ID": group,
            **(settings or {}),
        },
    )


@pytest.fixture
def reporting(kafka: str, identities: Identities, tmp_path: Path) -> Iterator[ServiceProcess]:
    service = reporting_process(kafka, identities, tmp_path)
    service.start()
    wait_ready([service], timeout=90)
    yield service
    service.stop()


def answered(i: int, start: datetime = START) -> Answered:
    at = start + timedelta(seconds=3 * i)
    return Answered(
        occurred_at=at,
        contact_id=uuid.uuid4(),
        region=Region.NORD,
        channel=Channel.PHONE,
        category=NeedCategory.CASE_HELP,
        received_at=at - timedelta(seconds=30),
        wait_seconds=30,
        operator_id="op",
        operator_region=Region.NORD,
    )


async def publish(kafka: str, events: list[Answered]) -> None:
    producer = EventProducer(kafka, "test-reporting")
    await producer.start()
    acks = [await producer.enqueue(e, QUEUE_EVENTS) for e in events]
    await asyncio.gather(*acks)
    await producer.stop()


def counted(service: ServiceProcess, reader: Headers, expected: int, timeout: float = 60) -> int:
    """Polls /sla/nord as `reader` until `expected` answers are counted; returns the count."""

    def answers() -> int | None:
        try:
            url = f"{service.url}/sla/nord"
            window = httpx.get(url, headers=reader, timeout=2).json()["window"]
        except (httpx.HTTPError, KeyError, ValueError):
            return None
        value = int(window["answered_within"] + window["answered_late"])
        return value if value >= expected else None

    return poll(answers, f"{expected} answers counted in Nord's window", timeout=timeout)


def test_a_worker_killed_mid_stream_recovers_without_loss_or_double_counting(
    kafka: str, reporting: ServiceProcess, identities: Identities
) -> None:
    supervisor = identities.person("supervisor-national")
    events = [answered(i) for i in range(401)]
    asyncio.run(publish(kafka, events[:200]))
    assert counted(reporting, supervisor, 200) == 200
    reporting.kill()
    # While it is down: the rest, 50 re-sent duplicates (an outbox replaying after a crash),
    # and last a sentinel. One region is one partition, in order: once the sentinel is
    # counted, every duplicate before it has been seen too.
    asyncio.run(publish(kafka, events[200:400] + events[150:200] + events[400:]))
    reporting.start()
    wait_ready([reporting], timeout=90)
    assert counted(reporting, supervisor, 401) == 401


def test_a_re_send_after_its_ids_were_committed_counts_once(
    kafka: str, identities: Identities, tmp_path: Path
) -> None:
    """An outbox relay that re-publishes after an outage: the ids the worker remembered reach
    the changelog at a commit, as a batch (services/reporting/seen.py), and the memory must
    still know them after that batch is closed."""
    supervisor = identities.person("supervisor-national")
    service = reporting_process(kafka, identities, tmp_path)
    service.start()
    try:
        wait_ready([service], timeout=90)
        # A day after the other test's events: this window holds these alone.
        events = [answered(i, START + timedelta(days=1)) for i in range(11)]
        asyncio.run(publish(kafka, events[:10]))
        assert counted(service, supervisor, 10) == 10
        changelog = f"{service.env['PKC_REPORTING_FAUST_APP_ID']}-sla-seen-batches-changelog"
        poll(lambda: asyncio.run(records_on(kafka, changelog)) or None, "a batch committed")
        asyncio.run(publish(kafka, events[:10] + events[10:]))  # the re-send, then a sentinel
        assert counted(service, supervisor, 11) == 11
    finally:
        service.stop()


async def records_on(kafka: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(QUEUE_EVENTS.partitions)]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


def test_a_quiet_partitions_last_records_dropped_before_the_agent_are_counted(
    kafka: str, identities: Identities, tmp_path: Path
) -> None:
    """Faust drops the records it fetched when a rebalance begins mid-batch (rewind.py). The
    last records of a quiet region have nothing after them to reveal the gap: they must still
    count, and soon (a fault test saw Nord counted 5 of 8 until its deadline)."""
    supervisor = identities.person("supervisor-national")
    faults = tmp_path / "faults.json"
    settings = {INJECT_FAULTS: str(faults), "PKC_REPORTING_TAIL_CHECK_SECONDS": "1"}
    service = reporting_process(kafka, identities, tmp_path, settings)
    service.start()
    try:
        wait_ready([service], timeout=90)
        # Two days after the first test's events: this window holds these alone.
        events = [answered(i, START + timedelta(days=2)) for i in range(8)]
        asyncio.run(publish(kafka, events[:5]))
        assert counted(service, supervisor, 5) == 5
        faults.write_text(json.dumps({"drop": [str(e.contact_id) for e in events[5:]]}))
        asyncio.run(publish(kafka, events[5:]))  # fetched, dropped, and nothing after them
        assert counted(service, supervisor, 8, timeout=30) == 8
    finally:
        service.stop()


def test_malformed_records_go_to_the_dead_letter_topic(
    kafka: str, reporting: ServiceProcess
) -> None:
    marker = uuid.uuid4().hex.encode()

    async def poison() -> None:
        raw = AIOKafkaProducer(bootstrap_servers=kafka)
        await raw.start()
        # Found again by its key: reporting keeps no value it cannot read (the citizen's text
        # rule of dead letters), but the key stays.
        await raw.send_and_wait(QUEUE_EVENTS.name, b"not an event", key=marker)
        await raw.stop()

    asyncio.run(poison())
    dead = asyncio.run(
        read_until(
            kafka,
            REPORTING.dead_letter.name,
            lambda records: any(r.key == marker for r in records),
        )
    )
    letter = next(DeadLetter.of(r) for r in dead if r.key == marker)
    assert letter.value is None
    assert letter.reason.startswith("not JSON")
    # The Faust agent writes the shared consumers' dead letters: who, when, after how many tries.
    assert (letter.consumer, letter.topic, letter.attempts) == ("reporting", QUEUE_EVENTS.name, 1)
    assert letter.failed_at.tzinfo is not None
