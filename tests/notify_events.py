"""SLA events, and classified contacts, for notify's tests; and a list its event relay
publishes into."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from schemas import (
    Classified,
    DonorLoan,
    Region,
    ReinforcementRequested,
    SlaBreachPredicted,
    reinforcement_request_id,
)
from schemas.enums import Channel, MatterType, NeedCategory, Route
from schemas.envelope import Event
from schemas.events import SlaWindow
from services.notify.relay import EventRelay

# The words the model weighed for a flagged test contact: never in an alert.
WEIGHED_WORDS = ("knackar", "dorr", "rädd")


def reinforcement_requested(episode: uuid.UUID, window: SlaWindow) -> ReinforcementRequested:
    """Syd asks for 4 operators (from Väst) at the end of `window`, under the id reporting
    gives an episode's request."""
    return ReinforcementRequested(
        event_id=reinforcement_request_id(episode),
        occurred_at=window.end,
        region=Region.SYD,
        episode_id=episode,
        window=window,
        arrivals_per_hour=120,
        handling_seconds=300,
        operators_needed_erlang_c=14,
        operators_present=10,
        shortfall=4,
        donors=(DonorLoan(region=Region.VAST, operators=4),),
        until=window.end + timedelta(hours=2),
    )


def breach_predicted(region: Region, at: datetime) -> SlaBreachPredicted:
    """The region's share (86 %) is still above target, but the calls waiting say it will
    fall (to 70 %)."""
    window = SlaWindow(start=at - timedelta(hours=1), end=at, answered_within=9, share=0.86)
    return SlaBreachPredicted(
        occurred_at=at,
        region=region,
        window=window,
        waiting_past_target=3,
        about_to_pass=4,
        predicted_share=0.7,
        target=0.85,
    )


def classified(
    channel: Channel,
    category: NeedCategory,
    at: datetime,
    *,
    possible_emergency: bool = False,
    region: Region = Region.SYD,
) -> Classified:
    """A contact as triage classified it: Nöd goes to 112, anything else to an operator; the
    model weighed WEIGHED_WORDS and gave P(Nöd) 0.93 for Nöd, 0.31 otherwise."""
    emergency = category == NeedCategory.EMERGENCY
    p_emergency = 0.93 if emergency else 0.31
    return Classified(
        occurred_at=at,
        contact_id=uuid.uuid4(),
        region=region,
        channel=channel,
        received_at=at - timedelta(seconds=2),
        category=category,
        matter=MatterType.ONGOING_CRIME_OR_DANGER if emergency else MatterType.OTHER,
        priority=1 if emergency or possible_emergency else 3,
        route=Route.EMERGENCY_112 if emergency else Route.OPERATOR,
        rule_id="fallback",
        rules_version="2026.11-6",
        decided_by="model",
        model_version="2026.11-6+b0513c1d",
        probabilities={NeedCategory.EMERGENCY: p_emergency},
        weighed_words=WEIGHED_WORDS,
        possible_emergency=possible_emergency,
    )


class Published:
    """What notify's event relay publishes, kept in a list (no broker in these tests)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def enqueue(self, event: Event) -> "asyncio.Future[Any]":
        self.events.append(event)
        acked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked


def relay_outbox(relay: EventRelay) -> None:
    """Runs the relay until notify's outbox is empty, as it runs after every commit."""

    async def drain() -> None:
        while await relay.publish_pending():
            pass

    asyncio.run(drain())
