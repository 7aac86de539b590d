"""What queueing does with the events it consumes."""

import asyncio

from schemas import Classified
from schemas.envelope import Event
from services.queueing.domain import needs_queue
from services.queueing.store import QueueStore
from services.shared.clock import Clock


class ClassifiedHandler:
    def __init__(self, store: QueueStore, clock: Clock):
        self.store = store
        self.clock = clock

    async def __call__(self, event: Event) -> None:
        if not isinstance(event, Classified):
            return  # the SLA topic's other events are not queueing's business
        if needs_queue(event):
            await asyncio.to_thread(self.store.enqueue, event, self.clock.now())
