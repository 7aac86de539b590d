"""Where a count went wrong: what the topics themselves hold for a region, printed beside a
failed exactly-once assertion. A region counted once too often is either a contact queued
twice (two `Queued` events with different ids: queueing's fault), the same event published
twice (a re-send reporting should have recognised), or neither (reporting counted a record
twice: a replay it did not recognise)."""

import asyncio
import json
from collections import defaultdict
from typing import Any

from schemas import Region
from schemas.topics import CONTACTS_CLASSIFIED, QUEUE_EVENTS
from tests.kafka_helpers import Records, read_to_end


def queued_trail(bootstrap: str, regions: list[Region]) -> str:
    """Per region: contacts classified, contacts queued, and every `Queued` copy beyond the
    first (contact, event id, partition, offset). No personal data: ids and positions only."""
    classified = asyncio.run(read_to_end(bootstrap, CONTACTS_CLASSIFIED.name, 7, timeout=60))
    queued = asyncio.run(read_to_end(bootstrap, QUEUE_EVENTS.name, 7, timeout=60))
    lines = []
    for region in regions:
        contacts_classified = {
            value["contact_id"]
            for value in _values(classified)
            if value.get("region") == region.value
        }
        copies: dict[str, list[str]] = defaultdict(list)
        for record in queued:
            value = _value(record.value)
            if value.get("event_type") == "Queued" and value.get("region") == region.value:
                copies[value["contact_id"]].append(
                    f"{value['event_id']}@{record.partition}:{record.offset}"
                )
        repeated = {contact: at for contact, at in copies.items() if len(at) > 1}
        lines.append(
            f"{region.value}: classified {len(contacts_classified)}, queued {len(copies)} "
            f"contacts in {sum(map(len, copies.values()))} records; repeated: {repeated}"
        )
    return "\n".join(lines)


def _values(records: Records) -> list[dict[str, Any]]:
    return [_value(record.value) for record in records]


def _value(raw: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
