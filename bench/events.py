"""Events the benches publish themselves."""

import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from schemas import Answered, Channel, Event, NeedCategory, Region
from schemas.topics import Topic
from services.shared.kafka import EventProducer


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
