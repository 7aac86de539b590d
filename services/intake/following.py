"""Intake's consumer handler: the events about contacts it accepted move their statuses (and
plan their adapters' callbacks, which the sender is woken for). A fetch's events are applied
in one transaction (the shared consumer's bulk handler); an event that fails on its own is
taken alone, and dead-lettered alone."""

import asyncio
from collections.abc import Callable, Sequence

from schemas.envelope import Event
from services.intake.status import FOLLOWED
from services.intake.status_store import StatusStore
from services.shared.clock import Clock
from services.shared.kafka import BulkHandler, Gathered


class StatusFollower:
    def __init__(self, statuses: StatusStore, clock: Clock, planned: Callable[[], None]):
        self.statuses = statuses
        self.clock = clock
        self.planned = planned

    def bulk(self) -> BulkHandler:
        # Every event, those intake lets go too (presence changes, reinforcement orders and
        # the like share the topics; apply_all passes them by): none breaks a batch in two.
        return BulkHandler(lambda _: True, self.apply_all)

    async def apply_all(self, gathered: Sequence[Gathered]) -> None:
        events = [one.event for one in gathered]
        if await asyncio.to_thread(self.statuses.apply_all, events, self.clock.now()):
            self.planned()

    async def __call__(self, event: Event) -> None:
        """One event alone: the batch it came in kept failing."""
        if not isinstance(event, FOLLOWED):
            return
        if await asyncio.to_thread(self.statuses.apply, event, self.clock.now()):
            self.planned()
