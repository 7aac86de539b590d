"""Publishes committed outbox events to Kafka, in commit order, at least once.

Every replica runs a relay; only the one holding the lease (outbox_store.py) publishes, so each
row goes out from one relay and a contact's events keep their order. The holder renews the
lease on every round and while it waits for the broker's acks; a relay that is killed or
frozen stops renewing, and another takes over once the lease runs out. Rows are marked
published after the acks, in a transaction that checks the lease is still held: a crash
between ack and mark sends those rows again (at least once; consumers dedupe by event id).
"""

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

from schemas.codec import decode_event
from schemas.envelope import Event
from services.queueing.outbox_store import OutboxStore
from services.shared.kafka import Failure, Retrier
from services.shared.tracing import resumed
from services.shared.wakeup import Wakeup

log = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 1.0


class Publisher(Protocol):
    """What the relay needs of a producer (EventProducer; a recording fake in tests)."""

    async def enqueue(self, event: Event, *, wire: bytes | None = None) -> "asyncio.Future[Any]":
        """`wire`: the event's bytes as stored (sent as they are)."""
        ...


class OutboxRelay:
    def __init__(
        self,
        outbox: OutboxStore,
        producer: Publisher,
        lease_seconds: float = 10.0,
        batch_size: int = 500,
    ):
        self.outbox = outbox
        self.producer = producer
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wakeup = Wakeup()
        self.retrier = Retrier()  # waits out a database or broker outage (issue 18)

    def notify(self) -> None:
        """Called after a commit, from any thread."""
        self.wakeup()

    async def run(self) -> None:
        """Publishes while holding the lease, and waits for it otherwise. Cancelling this (a
        crash) keeps the lease until it runs out; `step_down` gives it up at a clean stop."""
        self.wakeup.bind()
        renew_every = self.lease_seconds / 3
        while True:
            sent = await self.retrier(self._round, "outbox relay")
            if isinstance(sent, Failure):
                raise RuntimeError(f"the outbox relay gave up: {sent.reason}")
            if sent is None:
                await self._idle(renew_every)  # another relay leads: look again
            elif sent == 0:
                await self._idle(min(IDLE_POLL_SECONDS, renew_every))

    async def _round(self) -> int | None:
        """One round: None while another relay holds the lease, else the rows sent."""
        if not await asyncio.to_thread(self.outbox.claim, self.holder, self.lease_seconds):
            return None
        return await self.publish_pending()

    def step_down(self) -> None:
        """Gives the lease up at a clean stop, so another replica takes over at once."""
        self.outbox.release(self.holder)

    async def publish_pending(self) -> int:
        """Sends the oldest pending rows (the caller holds the lease) and marks them published;
        the number sent."""
        records = await asyncio.to_thread(self.outbox.pending, self.batch_size)
        if not records:
            return 0
        async with self._renewing():
            futures = []
            for record in records:
                with resumed(record.traceparent):  # the record's headers carry its own trace
                    wire = record.event_json.encode()
                    event = decode_event(wire)  # for its topic and key only: `wire` is sent
                    futures.append(await self.producer.enqueue(event, wire=wire))
            await asyncio.gather(*futures)  # every ack before marking: a crash re-sends
        ids = [record.id for record in records]
        marked = await asyncio.to_thread(
            self.outbox.mark_published, ids, self.holder, self.lease_seconds
        )
        if not marked:
            log.warning("outbox lease lost while publishing; its new holder sends these again")
        return len(records)

    @contextlib.asynccontextmanager
    async def _renewing(self) -> AsyncIterator[None]:
        """Keeps the lease while a batch waits for the broker: a slow broker is no reason to
        hand over (the new holder would send the same rows again)."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_seconds / 3)
                try:
                    await asyncio.to_thread(self.outbox.claim, self.holder, self.lease_seconds)
                except Exception as exc:
                    log.warning("outbox lease not renewed (%s)", type(exc).__name__)

        renewer = asyncio.create_task(renew())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _idle(self, seconds: float) -> None:
        await self.wakeup.wait(seconds)
