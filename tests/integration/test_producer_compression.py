"""The producers' batching on the real broker (services/shared/kafka_tuning.py): events written
lz4- or zstd-compressed reach the consumers as they were sent, and the broker keeps the batches
compressed as the producer wrote them."""

import asyncio
import os
import struct
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas import Channel, ContactReceived, Region
from schemas.topics import Topic
from services.shared.kafka import EventProducer, decode
from services.shared.kafka_admin import create_topics
from services.shared.kafka_tuning import Compression, ProducerTuning
from tests.kafka_helpers import read_until

pytestmark = pytest.mark.kafka
# The codec in a record batch's attributes (the low three bits), as Kafka's log format has it.
CODECS = {"none": 0, "gzip": 1, "lz4": 3, "zstd": 4}
EVENTS = 300


def contact(number: int) -> ContactReceived:
    return ContactReceived(
        occurred_at=datetime.now(UTC),
        contact_id=uuid4(),
        region=Region.OST,
        channel=Channel.PHONE,
        source="test",
        text=f"Min cykel blev stulen utanför jobbet, det är den {number}:e jag anmäler",
    )


async def _log_dir(bootstrap: str) -> Path:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        node = (await admin.describe_cluster())["brokers"][0]["node_id"]
        [described] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.BROKER, str(node))]
        )
    finally:
        await admin.close()
    configs = {entry[0]: entry[1] for entry in described.resources[0][4]}
    return Path((configs.get("log.dirs") or configs["log.dir"]).split(",")[0])


def _first_batch_codec(segment: Path) -> int:
    """base offset (8 bytes), length (4), leader epoch (4), magic (1), crc (4), attributes (2)."""
    header = segment.read_bytes()[:23]
    (attributes,) = struct.unpack(">h", header[21:23])
    return int(attributes & 0x07)


@pytest.mark.parametrize("compression", ["lz4", "zstd"])
async def test_compressed_events_flow_and_stay_compressed_on_the_broker(
    kafka: str, compression: Compression
) -> None:
    topic = Topic(f"test.compressed.{uuid4().hex[:8]}", 1, "contact_id", (ContactReceived,))
    await create_topics(kafka, (topic,))
    sent = [contact(n) for n in range(EVENTS)]
    tuning = ProducerTuning(linger_ms=5, compression=compression)
    producer = EventProducer(kafka, "test-compression", tuning=tuning)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.enqueue(event, topic) for event in sent])
    finally:
        await producer.stop()

    records = await read_until(kafka, topic.name, lambda r: len(r) >= EVENTS)
    assert [decode(record) for record in records] == sent, "every event, in order, as sent"
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return  # an existing cluster's log is not on this machine
    segment = await _log_dir(kafka) / f"{topic.name}-0" / f"{0:020d}.log"
    assert _first_batch_codec(segment) == CODECS[compression]
