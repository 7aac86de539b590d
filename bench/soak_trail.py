"""Where a soak's shortfall went: read on the live broker before the platform stops. For
each short region, the `Queued` records reporting never remembered (in no batch of its
sla-seen-batches changelog, services/reporting/seen.py), as offset ranges of their partition,
and what each reporting replica logged about skipped source records (rewind.py). Ids and
offsets only: no personal data."""

import asyncio
import json
import sys
from collections import defaultdict
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import Region
from schemas.topics import QUEUE_EVENTS
from services.reporting.settings import ReportingSettings

SEEN = f"{ReportingSettings.model_fields['faust_app_id'].default}-sla-seen-batches-changelog"


async def _read_all(bootstrap: str, topic: str) -> list[tuple[int, int, bytes, bytes]]:
    """(partition, offset, key, value) of every record on `topic` up to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # metadata first: partitions_for_topic is None without it
        if not consumer.partitions_for_topic(topic):  # seen empty after topics(): ask again
            await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[tuple[int, int, bytes, bytes]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, items in batch.items():
                records += [(tp.partition, r.offset, r.key or b"", r.value or b"") for r in items]
        return records
    finally:
        await consumer.stop()


def _ranges(offsets: list[int]) -> list[str]:
    spans: list[list[int]] = []
    for offset in sorted(offsets):
        if spans and offset == spans[-1][1] + 1:
            spans[-1][1] = offset
        else:
            spans.append([offset, offset])
    return [f"{a}-{b}" if a != b else str(a) for a, b in spans]


def explain_shortfall(bootstrap: str, short: list[Region], logs: list[Path]) -> None:
    queued = asyncio.run(_read_all(bootstrap, QUEUE_EVENTS.name))
    seen_ids = {
        event_id
        for _, _, _, value in asyncio.run(_read_all(bootstrap, SEEN))
        if value  # a tombstone: an expired batch, whose ids its earlier record holds
        for event_id in json.loads(value).get("seen", {})
    }
    unseen: dict[tuple[str, int], list[int]] = defaultdict(list)
    contacts: dict[str, set[str]] = defaultdict(set)
    for partition, offset, _, value in queued:
        event = json.loads(value or b"{}")
        mine = event.get("event_type") == "Queued" and event.get("region") in short
        if mine:
            contacts[event["region"]].add(event["contact_id"])
        if mine and event["event_id"] not in seen_ids:
            unseen[(event["region"], partition)].append(offset)
    print(
        "Queued records reporting never remembered (region, partition: offsets):", file=sys.stderr
    )
    for (region, partition), offsets in sorted(unseen.items()):
        print(f"  {region} p{partition}: {len(offsets)} at {_ranges(offsets)}", file=sys.stderr)
    for log in logs:
        lines = [line for line in log.read_text(errors="replace").splitlines() if "skipped" in line]
        print(f"{log.name}: {len(lines)} skip warnings", *lines[-20:], sep="\n  ", file=sys.stderr)
