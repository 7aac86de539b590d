"""Turns SLA events into planned alerts; the delivery worker sends them."""

import asyncio
from datetime import UTC, datetime

from schemas import (
    ReinforcementRequested,
    SlaBreached,
    SlaBreachPredicted,
    SlaRecovered,
    SlaStatus,
)
from schemas.envelope import Event
from services.notify.alerts import AlertBook
from services.shared.clock import Clock

ALERTING = (SlaBreached, SlaRecovered, SlaBreachPredicted, ReinforcementRequested, SlaStatus)


class AlertHandler:
    def __init__(self, book: AlertBook, clock: Clock, wake: asyncio.Event):
        self.book = book
        self.clock = clock
        self.wake = wake

    async def __call__(self, event: Event) -> None:
        if not isinstance(event, ALERTING):
            return
        planned = await asyncio.to_thread(
            self.book.take, event, self.clock.now(), datetime.now(UTC)
        )
        if planned:
            self.wake.set()
