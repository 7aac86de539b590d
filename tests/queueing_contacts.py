"""Contacts as triage hands them to queueing, for the queueing tests."""

import uuid
from datetime import UTC, datetime, timedelta

from schemas import Channel, Classified, MatterType, NeedCategory, Region, Route

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm, inside service hours


def classified(
    region: Region = Region.VAST,
    priority: int = 3,
    waited: float = 60,
    category: NeedCategory = NeedCategory.CASE_HELP,
    at: datetime = NOW,
    possible_emergency: bool = False,
    low_confidence: bool = False,
) -> Classified:
    """A contact for an operator, classified at `at` after waiting `waited` seconds."""
    return Classified(
        occurred_at=at,
        contact_id=uuid.uuid4(),
        region=region,
        channel=Channel.PHONE,
        received_at=at - timedelta(seconds=waited),
        category=category,
        matter=MatterType.THEFT,
        priority=priority,
        route=Route.OPERATOR,
        rule_id="t",
        rules_version="t",
        possible_emergency=possible_emergency,
        low_confidence=low_confidence,
    )
