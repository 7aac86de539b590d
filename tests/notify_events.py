"""SLA events for notify's tests."""

import uuid
from datetime import timedelta

from schemas import DonorLoan, Region, ReinforcementRequested
from schemas.events import SlaWindow


def reinforcement_requested(episode: uuid.UUID, window: SlaWindow) -> ReinforcementRequested:
    """Syd asks for 4 operators (from Väst) at the end of `window`."""
    return ReinforcementRequested(
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
