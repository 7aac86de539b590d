"""What queueing does with the events it consumes."""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta

from schemas import (
    Classified,
    ReinforcementRequested,
    SlaRecovered,
    reinforcement_request_id,
)
from schemas.envelope import Event
from services.queueing.contacts import Contacts
from services.queueing.domain import Actor, needs_queue
from services.queueing.offers import Offers
from services.queueing.operators import Operators
from services.queueing.reinforcements import Reinforcements
from services.queueing.retention import Retention, purge
from services.shared.clock import Clock
from services.shared.kafka import BulkHandler, Gathered
from services.shared.periodic import every
from services.shared.runtime import derived_id


class QueueingHandler:
    def __init__(self, contacts: Contacts, reinforcements: Reinforcements, clock: Clock):
        self.contacts = contacts
        self.reinforcements = reinforcements
        self.clock = clock

    @staticmethod
    def takes_in_bulk(event: Event) -> bool:
        """Classified contacts: a consumer batch's are queued in one transaction (those sent
        to 112 or an e-service too, so that they do not break a batch in two)."""
        return isinstance(event, Classified)

    async def enqueue_all(self, gathered: Sequence[Gathered]) -> None:
        arriving = [
            (e, one.traceparent)
            for one in gathered
            if isinstance(e := one.event, Classified) and needs_queue(e)
        ]
        if arriving:
            await asyncio.to_thread(self.contacts.enqueue_all, arriving, self.clock.now())

    def bulk(self) -> BulkHandler:
        return BulkHandler(self.takes_in_bulk, self.enqueue_all)

    async def __call__(self, event: Event) -> None:
        now = self.clock.now()
        if isinstance(event, Classified):
            if needs_queue(event):
                await asyncio.to_thread(self.contacts.enqueue, event, now)
        elif isinstance(event, ReinforcementRequested):
            await asyncio.to_thread(self._order, event)
        elif isinstance(event, SlaRecovered):
            # Only the order this episode's request made: a recovery replayed from an old
            # month, or one of another episode, must not end an order standing now (nor a
            # supervisor's own order, which is theirs to end).
            request_id = reinforcement_request_id(event.episode_id)
            await asyncio.to_thread(
                self.reinforcements.end_if_active,
                order_id_for(request_id),
                Actor.service("reporting"),
                "recovered",
                now,
            )
        # SlaStatus and predictions are not queueing's business.

    def _order(self, request: ReinforcementRequested) -> None:
        """One order per request (its id derives from the request, so a redelivery is a no-op)."""
        now = self.clock.now()
        order_id = order_id_for(request.event_id)
        if not request.donors or request.until <= now:
            return
        if self.reinforcements.exists(order_id) or self.reinforcements.active(
            now, request.region.value
        ):
            return  # already ordered, or the region is already reinforced
        self.reinforcements.order(
            request.region,
            request.donors,
            request.until,
            Actor.service("reporting"),
            now,
            cause_event_id=request.event_id,
            order_id=order_id,
        )


def order_id_for(request_id: uuid.UUID) -> uuid.UUID:
    """One order per request: its id derives from the request, so a redelivery is a no-op."""
    return derived_id(request_id, "order")


async def sweep(
    contacts: Contacts,
    reinforcements: Reinforcements,
    clock: Clock,
    max_wait: timedelta | None,
    interval: float,
    retention: Retention,
    offers: Offers | None = None,
    operators: Operators | None = None,
) -> None:
    """Times out contacts waiting too long and offers not accepted in time, ends wrap-ups and
    expired orders, forgets operators' requests past their retention and purges what else is
    past its own, every `interval` seconds."""

    def one_round() -> None:
        now = clock.now()
        if max_wait is not None:
            contacts.time_out_overdue(max_wait, now)
        if offers is not None:
            offers.time_out_overdue(now)  # of desks closed with an offer on them
        if operators is not None:
            operators.end_wrap_ups(now)
        reinforcements.expire(now)
        contacts.forget_expired_requests(now)
        purge(contacts.db, now, retention)

    await every(interval, "sweep", one_round)
