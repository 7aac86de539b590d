"""Intake's consumer handler: the events about contacts it accepted move their statuses (and
plan their adapters' callbacks, which the sender is woken for)."""

import asyncio
from collections.abc import Callable

from schemas.envelope import Event
from services.intake.status import FOLLOWED
from services.intake.status_store import StatusStore
from services.shared.clock import Clock


class StatusFollower:
    def __init__(self, statuses: StatusStore, clock: Clock, planned: Callable[[], None]):
        self.statuses = statuses
        self.clock = clock
        self.planned = planned

    async def __call__(self, event: Event) -> None:
        # Presence changes, reinforcement orders and the like share the topics: let go here.
        if not isinstance(event, FOLLOWED):
            return
        if await asyncio.to_thread(self.statuses.apply, event, self.clock.now()):
            self.planned()
