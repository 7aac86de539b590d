"""Turns SLA events, and written contacts triage is in doubt about, into planned alerts; the
delivery worker sends them."""

import asyncio
from datetime import UTC, datetime

from schemas import Classified
from schemas.envelope import Event
from services.notify.alerts import AlertService
from services.notify.policy import SLA_EVENTS, calls_for_on_call
from services.shared.clock import Clock


class AlertHandler:
    def __init__(self, alerts: AlertService, clock: Clock, wake: asyncio.Event):
        self.alerts = alerts
        self.clock = clock
        self.wake = wake

    async def __call__(self, event: Event) -> None:
        if isinstance(event, Classified):
            # Every classified contact passes here and nearly all call for nothing: they are
            # let go before any database work.
            if not calls_for_on_call(event):
                return
        elif not isinstance(event, SLA_EVENTS):
            return
        planned = await asyncio.to_thread(
            self.alerts.take, event, self.clock.now(), datetime.now(UTC)
        )
        if planned:
            self.wake.set()
