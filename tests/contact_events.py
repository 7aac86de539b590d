"""Contact events as intake and queueing publish them, for the tests: each built from when the
contact was received (and how long it waited), with the fields the tests do not look at fixed."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from schemas import (
    Abandoned,
    Answered,
    Channel,
    ContactReceived,
    NeedCategory,
    Queued,
    QueueName,
    Region,
)


def received(
    at: datetime, *, region: Region = Region.NORD, channel: Channel = Channel.PHONE
) -> ContactReceived:
    """A contact as intake publishes it, received and accepted at `at`; its text is empty."""
    return ContactReceived(
        occurred_at=at,
        accepted_at=at,
        contact_id=uuid.uuid4(),
        region=region,
        channel=channel,
        source="test",
        text="",
    )


def queued(
    received: datetime,
    *,
    region: Region = Region.NORD,
    channel: Channel = Channel.PHONE,
    triage_seconds: float = 2.0,
) -> Queued:
    """A case-help contact joining its queue `triage_seconds` after it was received."""
    return Queued(
        occurred_at=received + timedelta(seconds=triage_seconds),
        contact_id=uuid.uuid4(),
        region=region,
        queue=QueueName.CRIME_REPORT,
        channel=channel,
        category=NeedCategory.CASE_HELP,
        priority=3,
        received_at=received,
    )


def answered(
    received: datetime,
    wait: float,
    *,
    region: Region = Region.NORD,
    channel: Channel = Channel.PHONE,
    category: NeedCategory = NeedCategory.CASE_HELP,
) -> Answered:
    """A contact an operator of its own region answered after `wait` seconds."""
    ended = _ended(received, wait, region, channel, category)
    return Answered(**ended, operator_id="op", operator_region=region)


def abandoned(received: datetime, wait: float, *, region: Region = Region.NORD) -> Abandoned:
    """A caller who hung up after `wait` seconds in a case-help phone queue."""
    return Abandoned(**_ended(received, wait, region, Channel.PHONE, NeedCategory.CASE_HELP))


def _ended(
    received: datetime, wait: float, region: Region, channel: Channel, category: NeedCategory
) -> dict[str, Any]:
    """The fields an answer and an abandon share: the wait ends `wait` seconds after receipt."""
    return {
        "occurred_at": received + timedelta(seconds=wait),
        "contact_id": uuid.uuid4(),
        "region": region,
        "channel": channel,
        "category": category,
        "received_at": received,
        "wait_seconds": wait,
    }
