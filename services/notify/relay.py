"""Publishes notify's events from its outbox (services/notify/tables.py EventRecord), at least
once and in the order they were written. Every replica runs a relay: each claims rows for a
lease before publishing them (as the delivery loop claims deliveries), so two relays never
publish the same row together, and a relay that dies mid-publish leaves its rows to another
when the lease ends. A published row is deleted: the event is then the broker's to keep.

(Queueing's relay, services/queueing/outbox.py, has the same shape without the lease; the two
could share one module in services/shared once both have it.)"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, delete, or_, select

from schemas.codec import decode_event
from schemas.envelope import Event
from services.notify.repository import NotifyStore, claim_each
from services.notify.tables import EventRecord
from services.shared.logs import fields
from services.shared.tracing import resumed
from services.shared.wakeup import Wakeup

log = logging.getLogger(__name__)
BATCH = 200  # rows claimed at a time: one round trip of acknowledgements from the broker


class Publisher(Protocol):
    async def enqueue(self, event: Event) -> "asyncio.Future[Any]": ...


class EventOutbox:
    """The outbox's rows, claimed for a lease and deleted once published."""

    def __init__(self, store: NotifyStore, lease_seconds: float):
        self.store = store
        self.lease = timedelta(seconds=lease_seconds)

    def claim(self, wall: datetime, limit: int = BATCH) -> list[EventRecord]:
        """Claims up to `limit` rows nobody holds (or whose holder's lease ran out), oldest
        first. Of two relays that saw the same row, one moves its lease and the other finds it
        held: the row is published by one of them."""
        free = or_(col(EventRecord.claimed_until).is_(None), col(EventRecord.claimed_until) <= wall)
        query = select(EventRecord).where(free).order_by(col(EventRecord.id)).limit(limit)
        with Session(self.store.engine, expire_on_commit=False) as session:
            lease = wall + self.lease
            return claim_each(session, query, col(EventRecord.id), free, claimed_until=lease)

    def published(self, ids: list[int]) -> None:
        with Session(self.store.engine) as session:
            session.exec(delete(EventRecord).where(col(EventRecord.id).in_(ids)))
            session.commit()

    def pending(self) -> int:
        """Rows not yet published (claimed or not)."""
        with Session(self.store.engine) as session:
            return len(session.exec(select(EventRecord.id)).all())


class EventRelay:
    def __init__(self, outbox: EventOutbox, producer: Publisher, poll_seconds: float):
        self.outbox = outbox
        self.producer = producer
        self.poll_seconds = poll_seconds  # also picks up rows whose holder died
        self.wake_up = Wakeup()  # called after a commit that wrote events, from any thread

    async def run(self) -> None:
        self.wake_up.bind()
        while True:
            try:
                if await self.publish_pending() == BATCH:
                    continue  # more may be waiting
            except Exception as error:  # broker or database down: the rows wait for the lease
                log.warning(
                    "event relay failed; retrying", extra=fields(error=type(error).__name__)
                )
            await self.wake_up.wait(self.poll_seconds)

    async def publish_pending(self) -> int:
        """Publishes what it could claim; each row is deleted only after the broker has it (a
        crash in between publishes it again: consumers drop a repeat by its event id)."""
        records = await asyncio.to_thread(self.outbox.claim, datetime.now(UTC))
        if not records:
            return 0
        acks = []
        for record in records:
            with resumed(record.traceparent):  # in the trace of the change that wrote it
                acks.append(await self.producer.enqueue(decode_event(record.event_json)))
        await asyncio.gather(*acks)
        await asyncio.to_thread(self.outbox.published, [r.id for r in records if r.id])
        return len(records)
