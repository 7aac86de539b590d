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

from bench.records import records_to_end
from schemas import Region
from schemas.topics import QUEUE_EVENTS
from services.reporting.settings import ReportingSettings

SEEN = f"{ReportingSettings.model_fields['faust_app_id'].default}-sla-seen-batches-changelog"


async def _read_all(bootstrap: str, topic: str) -> list[tuple[int, int, bytes, bytes]]:
    """(partition, offset, key, value) of every record on `topic` up to its current end."""
    return [
        (r.partition, r.offset, r.key or b"", r.value or b"")
        async for r in records_to_end(bootstrap, topic)
    ]


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
