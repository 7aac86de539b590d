"""Publishes committed outbox events to Kafka, in commit order, at least once."""

import asyncio

from schemas.codec import decode_event
from services.queueing.store import QueueDb
from services.shared.kafka import EventProducer, Failure, Retrier
from services.shared.tracing import resumed

IDLE_POLL_SECONDS = 1.0


class OutboxRelay:
    def __init__(self, store: QueueDb, producer: EventProducer):
        self.store = store
        self.producer = producer
        self.wake = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.retrier = Retrier()  # waits out a database or broker outage (issue 18)

    def notify(self) -> None:
        """Called after a commit, from any thread."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.wake.set)

    async def run(self) -> None:
        self.loop = asyncio.get_running_loop()
        while True:
            published = await self.retrier(self.publish_pending, "outbox relay")
            if isinstance(published, Failure):
                raise RuntimeError(f"the outbox relay gave up: {published.reason}")
            if published == 0:
                try:
                    async with asyncio.timeout(IDLE_POLL_SECONDS):
                        await self.wake.wait()
                except TimeoutError:
                    pass
                self.wake.clear()

    async def publish_pending(self) -> int:
        records = await asyncio.to_thread(self.store.pending_outbox)
        if not records:
            return 0
        futures = []
        for record in records:
            with resumed(record.traceparent):  # the record's headers carry its own trace
                futures.append(await self.producer.enqueue(decode_event(record.event_json)))
        await asyncio.gather(*futures)  # every ack before marking: a crash re-sends, never loses
        await asyncio.to_thread(self.store.mark_published, [r.id for r in records if r.id])
        return len(records)
