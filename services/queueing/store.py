"""Queueing's state changes, each one transaction together with its outbox events."""

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from schemas import Answered, Channel, Classified, NeedCategory, Queued, Region
from schemas.envelope import Event
from services.queueing.domain import NotFound, QueueError, queue_for, rank_time, wait_seconds
from services.queueing.tables import Operator, OutboxRecord, ProcessedEvent, QueueEntry, utc
from services.shared.runtime import derived_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class QueueStore:
    def __init__(self, engine: Engine, on_commit: Callable[[], None] = lambda: None):
        self.engine = engine
        self.on_commit = on_commit  # wakes the outbox relay
        self._postgres = engine.dialect.name == "postgresql"

    def _commit(self, session: Session, *events: Event) -> None:
        for event in events:
            session.add(OutboxRecord(event_json=event.model_dump_json()))
        session.commit()
        if events:
            self.on_commit()

    def enqueue(self, classified: Classified, now: datetime) -> bool:
        """Puts a classified contact in its region's queue; False for a redelivered event."""
        with Session(self.engine) as session:
            if session.get(ProcessedEvent, classified.event_id) is not None:
                return False
            session.add(ProcessedEvent(event_id=classified.event_id))
            queue = queue_for(classified)
            session.add(
                QueueEntry(
                    contact_id=classified.contact_id,
                    region=classified.region.value,
                    queue=queue.value,
                    channel=classified.channel.value,
                    category=classified.category.value,
                    priority=classified.priority,
                    received_at=classified.received_at,
                    rank_at=rank_time(classified.received_at, classified.priority),
                )
            )
            queued = Queued(
                event_id=derived_id(classified.event_id, Queued.EVENT_TYPE),
                occurred_at=now,
                contact_id=classified.contact_id,
                region=classified.region,
                queue=queue,
                channel=classified.channel,
                category=classified.category,
                priority=classified.priority,
                received_at=classified.received_at,
                e_service_capable=classified.e_service_capable,
            )
            self._commit(session, queued)
            return True

    def log_in(self, operator_id: str, region: Region, token: str, now: datetime) -> None:
        with Session(self.engine) as session:
            operator = session.get(Operator, operator_id) or Operator(
                operator_id=operator_id, region=region.value, token_hash="", logged_in_at=now
            )
            operator.region, operator.token_hash = region.value, token_hash(token)
            operator.status, operator.logged_in_at = "available", now
            session.add(operator)
            self._commit(session)

    def operator_by_token(self, token: str) -> Operator | None:
        with Session(self.engine) as session:
            found = session.exec(select(Operator).where(Operator.token_hash == token_hash(token)))
            return found.first()

    def take_next(self, operator: Operator, regions: list[str], now: datetime) -> QueueEntry | None:
        """Assigns the best waiting contact to the operator: atomic, never given out twice."""
        if operator.status != "available":
            raise QueueError(f"operator is {operator.status}, not available")
        lock = " FOR UPDATE SKIP LOCKED" if self._postgres else ""
        # `lock` is one of two constants and every value is bound: no injection possible.
        statement = text(
            "UPDATE queueing_entry SET status='assigned', operator_id=:op, assigned_at=:now "  # noqa: S608
            "WHERE contact_id = (SELECT contact_id FROM queueing_entry "
            "WHERE status='waiting' AND region IN :regions "
            f"ORDER BY rank_at, received_at LIMIT 1{lock}) AND status='waiting' "
            "RETURNING contact_id"
        ).bindparams(bindparam("regions", expanding=True))
        with Session(self.engine) as session:
            row = session.execute(
                statement, {"op": operator.operator_id, "now": now, "regions": regions}
            ).first()
            session.commit()
            if row is None:
                return None
            contact_id = row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0]))
            return session.get(QueueEntry, contact_id)

    def answer(self, operator: Operator, contact_id: uuid.UUID, now: datetime) -> Answered:
        with Session(self.engine) as session:
            entry = session.get(QueueEntry, contact_id)
            if entry is None:
                raise NotFound("no such contact in any queue")
            if entry.operator_id != operator.operator_id:
                raise QueueError("this contact is not assigned to you")
            if entry.status != "assigned":
                raise QueueError(f"contact is already {entry.status}")
            received = utc(entry.received_at)
            answered = Answered(
                occurred_at=now,
                contact_id=contact_id,
                region=Region(entry.region),
                channel=Channel(entry.channel),
                category=NeedCategory(entry.category),
                received_at=received,
                wait_seconds=wait_seconds(received, now),
                operator_id=operator.operator_id,
                operator_region=Region(operator.region),
            )
            entry.status, entry.answered_at = "answered", now
            session.add(entry)
            self._commit(session, answered)
            return answered

    def queue_state(self, region: Region, now: datetime) -> dict[str, object]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(QueueEntry.queue, func.count(), func.min(QueueEntry.received_at))
                .where(QueueEntry.region == region.value, QueueEntry.status == "waiting")
                .group_by(col(QueueEntry.queue))
            ).all()
            available = session.exec(
                select(func.count()).where(
                    Operator.region == region.value, Operator.status == "available"
                )
            ).one()
        oldest = min((utc(r[2]) for r in rows if r[2] is not None), default=None)
        return {
            "region": region.value,
            "waiting": {queue: count for queue, count, _ in rows},
            "oldest_wait_seconds": wait_seconds(oldest, now) if oldest else 0.0,
            "operators_available": available,
        }

    def pending_outbox(self, limit: int = 500) -> list[OutboxRecord]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(OutboxRecord)
                    .where(OutboxRecord.published == False)  # noqa: E712
                    .order_by(col(OutboxRecord.id))
                    .limit(limit)
                )
            )

    def mark_published(self, ids: list[int]) -> None:
        with Session(self.engine) as session:
            for record in session.exec(select(OutboxRecord).where(col(OutboxRecord.id).in_(ids))):
                record.published = True
                session.add(record)
            session.commit()
