"""Crashes mid-stream: every accepted contact is counted exactly once afterwards.

Each test posts a stream of contacts, kills one part with SIGKILL (or stops the broker) half way
through, brings it back, and then checks two independent counts: contacts waiting in
queueing's database and contacts offered in reporting's windows. A sentinel per region, posted
after the restart, goes through the same partitions as any late duplicate, so once the
sentinels are counted a duplicate would have been counted too.
"""

import asyncio
import itertools

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pkc.polling import poll, poll_async
from schemas import Region
from schemas.access import SERVICES
from schemas.topics import (
    CONTACTS_CLASSIFIED,
    CONTACTS_RECEIVED,
    QUEUE_EVENTS,
    SLA_EVENTS,
)
from tests.fault.conftest import FaultPlatform, unless_restarting
from tests.fault.trail import queued_trail

pytestmark = [pytest.mark.kafka, pytest.mark.waits]

CONTACTS_PER_RUN = 70  # ten per region
_keys = itertools.count()


def stream_with_crash(platform: FaultPlatform, crash: str) -> None:
    """Posts CONTACTS_PER_RUN contacts and crashes `crash` half way: a service, "broker", or
    "none" to check that traffic flows."""
    before_offered = platform.offered()
    before_waiting = platform.waiting()
    regions = list(Region)
    for i in range(CONTACTS_PER_RUN):
        if i == CONTACTS_PER_RUN // 2:
            if crash == "broker":
                platform.broker.stop()
                platform.broker.start()
            elif crash == "broker-kill":
                platform.broker.kill()
                platform.broker.start()
            elif crash in platform.services:
                platform.restart(crash)
        platform.post_contact(f"{crash}-{next(_keys)}", regions[i % len(regions)])
    per_region = CONTACTS_PER_RUN // len(regions)

    expected = {r: before_offered.get(r, 0) + per_region for r in regions}
    wait_for_offered(platform, expected)
    for region in regions:  # the sentinels
        platform.post_contact(f"{crash}-sentinel-{next(_keys)}", region)
    expected = {r: n + 1 for r, n in expected.items()}
    wait_for_offered(platform, expected)

    assert platform.waiting() == before_waiting + CONTACTS_PER_RUN + len(regions)
    assert platform.offered() == expected  # nothing counted twice after the sentinels either
    platform.assert_all_alive()


def wait_for_offered(platform: FaultPlatform, expected: dict[Region, int]) -> None:
    try:
        poll(
            unless_restarting(lambda: platform.offered() == expected),
            f"reporting to count the offered contacts {expected}",
            timeout=120,
            interval=0.25,
        )
    except TimeoutError:
        counted = platform.offered()  # which region is off, and by how much; and the topics'
        off = [region for region in expected if counted.get(region) != expected[region]]
        assert counted == expected, queued_trail(platform.broker.bootstrap, off)
        raise


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_killed_mid_stream_loses_and_duplicates_nothing(
    fault_platform: FaultPlatform, service: str
) -> None:
    stream_with_crash(fault_platform, service)


def test_a_broker_restarted_mid_stream_loses_and_duplicates_nothing(
    fault_platform: FaultPlatform,
) -> None:
    stream_with_crash(fault_platform, "broker")


def test_a_broker_killed_with_sigkill_mid_stream_loses_and_duplicates_nothing(
    fault_platform: FaultPlatform,
) -> None:
    """No clean shutdown: the broker recovers its logs on start, the services reconnect."""
    stream_with_crash(fault_platform, "broker-kill")


POISON = b"\xff\xfe not an event {"


async def _poison_and_read_dead_letters(
    bootstrap: str,
) -> dict[str, tuple[bytes | None, dict[str, bytes]]]:
    """Sends one undecodable record to each consumed topic; returns each DLQ record's value and
    headers by the topic it came from. A service that may not read the citizen's text keeps no
    value it cannot read (`dlq.value: removed`): only triage's DLQ holds the poison itself."""
    consumed = {
        CONTACTS_RECEIVED.name: "pkc.dlq.triage",
        CONTACTS_CLASSIFIED.name: "pkc.dlq.queueing",
        QUEUE_EVENTS.name: "pkc.dlq.reporting",
        SLA_EVENTS.name: "pkc.dlq.notify",
    }
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for topic in consumed:
            await producer.send_and_wait(topic, POISON, key=b"stockholm")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        *set(consumed.values()),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: dict[str, tuple[bytes | None, dict[str, bytes]]] = {}

    async def every_dead_letter() -> bool:
        batch = await consumer.getmany(timeout_ms=500)
        for records in batch.values():
            for record in records:
                headers = {k: v for k, v in record.headers}
                ours = record.value == POISON or headers.get("dlq.value") == b"removed"
                if ours and "dlq.topic" in headers:
                    found[headers["dlq.topic"].decode()] = (record.value, headers)
        return len(found) == len(consumed)

    try:
        await poll_async(every_dead_letter, "a dead letter from every consumed topic", interval=0)
    except TimeoutError:
        pass  # the caller's assertion names the topics whose dead letter is missing
    finally:
        await consumer.stop()
    return found


def test_poison_records_on_every_consumed_topic_go_to_a_dead_letter_topic_and_traffic_flows(
    fault_platform: FaultPlatform,
) -> None:
    found = asyncio.run(_poison_and_read_dead_letters(fault_platform.broker.bootstrap))
    assert set(found) == {
        CONTACTS_RECEIVED.name,
        CONTACTS_CLASSIFIED.name,
        QUEUE_EVENTS.name,
        SLA_EVENTS.name,
    }
    for _, headers in found.values():
        assert headers["dlq.reason"], "a dead letter says why"
    # Triage may read the citizen's text, so its DLQ keeps the record; the others may not.
    assert found[CONTACTS_RECEIVED.name][0] == POISON
    for topic in (CONTACTS_CLASSIFIED.name, QUEUE_EVENTS.name, SLA_EVENTS.name):
        assert found[topic][0] is None, f"{topic}'s dead letter keeps no value it cannot read"
    # The partitions behind the poison keep flowing: a new contact is counted as before.
    stream_with_crash(fault_platform, crash="none")
