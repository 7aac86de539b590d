"""Events the benches publish themselves."""

import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from schemas import Answered, Channel, Classified, Event, MatterType, NeedCategory, Region, Route
from schemas.topics import Topic
from services.shared.kafka import EventProducer


def theft_report(region: Region, at: datetime, waited: float, **triage: Any) -> Classified:
    """A phone call about a past theft, classified for an operator at `at` after it waited
    `waited` seconds; `triage` overrides any field (priority, category, flags, rule)."""
    fields: dict[str, Any] = {
        "occurred_at": at,
        "contact_id": uuid.uuid4(),
        "region": region,
        "channel": Channel.PHONE,
        "received_at": at - timedelta(seconds=waited),
        "category": NeedCategory.CASE_HELP,
        "matter": MatterType.THEFT,
        "priority": 3,
        "route": Route.OPERATOR,
        "rule_id": "case-theft-past",
        "rules_version": "bench",
    }
    return Classified(**(fields | triage))


def answered_call(region: Region, at: datetime, wait_seconds: float) -> Answered:
    """A bench operator of `region` answered a case-help phone call at `at`, after it waited
    `wait_seconds` (past 600 s it counts as late)."""
    return Answered(
        occurred_at=at,
        contact_id=uuid.uuid4(),
        region=region,
        channel=Channel.PHONE,
        category=NeedCategory.CASE_HELP,
        received_at=at - timedelta(seconds=wait_seconds),
        wait_seconds=wait_seconds,
        operator_id="bench",
        operator_region=region,
    )


async def publish_timed(
    bootstrap: str, client_id: str, events: Sequence[Event], topic: Topic
) -> float:
    """Publishes `events` from a producer of their own and waits for every ack; returns when
    the first was sent (time.perf_counter), where a throughput measurement starts."""
    producer = EventProducer(bootstrap, client_id)
    await producer.start()
    began = time.perf_counter()
    acks = [await producer.enqueue(event, topic) for event in events]
    await asyncio.gather(*acks)
    await producer.stop()
    return began
