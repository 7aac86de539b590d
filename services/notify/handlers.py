"""Turns SLA events into planned alerts; the delivery worker sends them."""

import asyncio
from datetime import UTC, datetime

from schemas.envelope import Event
from services.notify.alerts import AlertService
from services.notify.policy import ALERT_EVENTS
from services.shared.clock import Clock


class AlertHandler:
    def __init__(self, alerts: AlertService, clock: Clock, wake: asyncio.Event):
        self.alerts = alerts
        self.clock = clock
        self.wake = wake

    async def __call__(self, event: Event) -> None:
        if not isinstance(event, ALERT_EVENTS):
            return
        planned = await asyncio.to_thread(
            self.alerts.take, event, self.clock.now(), datetime.now(UTC)
        )
        if planned:
            self.wake.set()
