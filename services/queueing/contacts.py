"""A contact's life in the queue: queued, assigned, answered, resolved, or abandoned."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, Update
from sqlmodel import Session, col, func, select

from schemas import (
    Abandoned,
    Answered,
    CaseCreated,
    Channel,
    Classified,
    ContactResolved,
    MatterType,
    NeedCategory,
    Queued,
    QueueName,
    Region,
)
from services.queueing.domain import (
    ContactStatus,
    Forbidden,
    NotFound,
    OpeningHours,
    OperatorStatus,
    Outcome,
    QueueError,
    check_outcome,
    queue_for,
    rank_time,
    wait_seconds,
)
from services.queueing.reinforcements import Reinforcements
from services.queueing.statements import (
    answer_statement,
    lock_operator_statement,
    operator_statement,
    take_statement,
)
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import (
    Operator,
    ProcessedEvent,
    QueueEntry,
    ReinforcementOrder,
    utc,
)
from services.shared.cases import case_number
from services.shared.runtime import derived_id
from services.shared.tracing import current_traceparent

ClosedOutcome = Literal["close", "queue"]


@dataclass(frozen=True)
class QueuePolicy:
    opening_hours: dict[QueueName, OpeningHours]
    closed_outcome: ClosedOutcome = "close"  # what a contact arriving while closed gets


@dataclass(frozen=True)
class Assignment:
    contact_id: uuid.UUID
    region: str
    queue: str
    category: str
    priority: int
    received_at: datetime
    order_id: uuid.UUID | None


class Contacts:
    def __init__(self, db: QueueDb, reinforcements: Reinforcements, policy: QueuePolicy):
        self.db = db
        self.reinforcements = reinforcements
        self.policy = policy
        self._lock_operator = lock_operator_statement()
        self._operator = operator_statement()
        self._take_own = take_statement(longest_waiting=False)
        self._take_lent = take_statement(longest_waiting=True)
        self._answer = answer_statement()

    def enqueue(self, classified: Classified, now: datetime) -> bool:
        """Queues a classified contact; False for a redelivered event."""
        with self.db.transaction() as tx:
            if tx.session.get(ProcessedEvent, classified.event_id) is not None:
                return False
            tx.session.add(ProcessedEvent(event_id=classified.event_id))
            queue = queue_for(classified)
            outside = not self.policy.opening_hours[queue].is_open(classified.received_at)
            if outside and self.policy.closed_outcome == "close":
                tx.emit(
                    Abandoned(
                        event_id=derived_id(classified.event_id, Abandoned.EVENT_TYPE),
                        occurred_at=now,
                        contact_id=classified.contact_id,
                        region=classified.region,
                        channel=classified.channel,
                        category=classified.category,
                        received_at=classified.received_at,
                        wait_seconds=0.0,
                        reason="closed",
                        outside_service_hours=True,
                    )
                )
                return True
            tx.session.add(
                QueueEntry(
                    contact_id=classified.contact_id,
                    region=classified.region.value,
                    queue=queue.value,
                    channel=classified.channel.value,
                    category=classified.category.value,
                    matter=classified.matter.value,
                    priority=classified.priority,
                    received_at=classified.received_at,
                    rank_at=rank_time(classified.received_at, classified.priority),
                    outside_service_hours=outside,
                    traceparent=current_traceparent(),
                )
            )
            tx.emit(
                Queued(
                    event_id=derived_id(classified.event_id, Queued.EVENT_TYPE),
                    occurred_at=now,
                    contact_id=classified.contact_id,
                    region=classified.region,
                    queue=queue,
                    channel=classified.channel,
                    category=classified.category,
                    priority=classified.priority,
                    received_at=classified.received_at,
                    outside_service_hours=outside,
                    e_service_capable=classified.e_service_capable,
                )
            )
            return True

    def take_next(self, operator_id: str, now: datetime) -> Assignment | None:
        """Assigns the best waiting contact: atomic, never given to two operators."""
        with self.db.transaction() as tx:
            conn = tx.session.connection()
            if self.db.postgres:  # SQLite's writers are already one at a time
                conn.execute(self._lock_operator, {"op": operator_id})
            row = conn.execute(self._operator, {"op": operator_id, "now": now}).first()
            if row is None or row.status == OperatorStatus.OFFLINE:
                raise NotFound("unknown operator")
            if row.status != OperatorStatus.AVAILABLE:
                raise QueueError(f"operator is {row.status}; resume before taking contacts")
            if row.busy:
                raise QueueError("answer the contact you already hold first")
            skills = [s for s in row.skills.split(",") if s]
            if row.active_orders or row.lent_order_id is not None:
                order = self._lend(tx, operator_id, now)
                if order is not None:
                    lent = self._assign(
                        conn,
                        self._take_lent,
                        operator_id,
                        order.region,
                        skills,
                        now,
                        order.order_id,
                    )
                    if lent is not None:
                        return lent
            return self._assign(conn, self._take_own, operator_id, row.region, skills, now, None)

    def _lend(self, tx: Tx, operator_id: str, now: datetime) -> ReinforcementOrder | None:
        """The rare path (an order stands): the ORM is fine here."""
        operator = tx.session.get(Operator, operator_id)
        assert operator is not None
        order = self.reinforcements.lend(tx, operator, now)
        tx.session.add(operator)
        tx.session.flush()
        return order

    @staticmethod
    def _assign(
        conn: Connection,
        statement: Update,
        operator_id: str,
        region: str,
        skills: list[str],
        now: datetime,
        order_id: uuid.UUID | None,
    ) -> Assignment | None:
        params = {
            "op": operator_id,
            "now": now,
            "in_region": region,
            "skills": skills,
            "order": order_id,
        }
        row = conn.execute(statement, params).first()
        if row is None:
            return None
        return Assignment(
            row.contact_id,
            row.region,
            row.queue,
            row.category,
            row.priority,
            utc(row.received_at),
            row.order_id,
        )

    def answer(self, operator: Operator, contact_id: uuid.UUID, now: datetime) -> Answered:
        with self.db.transaction() as tx:
            params = {"contact": contact_id, "op": operator.operator_id, "now": now}
            row = tx.session.connection().execute(self._answer, params).first()
            if row is None:
                entry = self._held_by(tx.session, operator, contact_id)
                raise QueueError(f"contact is already {entry.status}")
            received = utc(row.received_at)
            answered = Answered(
                occurred_at=now,
                contact_id=contact_id,
                region=Region(row.region),
                channel=Channel(row.channel),
                category=NeedCategory(row.category),
                received_at=received,
                wait_seconds=wait_seconds(received, now),
                operator_id=operator.operator_id,
                operator_region=Region(operator.region),
            )
            tx.emit(answered, row.traceparent)  # the answer joins the contact's trace
            if row.order_id is not None:
                tx.audit(
                    now,
                    "answered_under_order",
                    row.region,
                    operator.operator_id,
                    order_id=row.order_id,
                    contact_id=contact_id,
                    operator_region=operator.region,
                )
            return answered

    def resolve(
        self, operator: Operator, contact_id: uuid.UUID, outcome: Outcome, now: datetime
    ) -> ContactResolved:
        with self.db.transaction() as tx:
            entry = self._held_by(tx.session, operator, contact_id)
            check_outcome(ContactStatus(entry.status))
            case_id = None
            if outcome == Outcome.REPORT_FILED:
                case_id = derived_id(contact_id, "case")
                entry.case_number = case_number(case_id, now.year)
                tx.emit(
                    CaseCreated(
                        event_id=derived_id(contact_id, CaseCreated.EVENT_TYPE),
                        occurred_at=now,
                        case_id=case_id,
                        contact_id=contact_id,
                        region=Region(entry.region),
                        case_number=entry.case_number,
                        matter=MatterType(entry.matter),
                        created_by="operator",
                    )
                )
            handled = (now - utc(entry.answered_at)).total_seconds() if entry.answered_at else None
            entry.status, entry.outcome = ContactStatus.RESOLVED.value, outcome.value
            tx.session.add(entry)
            resolved = ContactResolved(
                occurred_at=now,
                contact_id=contact_id,
                region=Region(entry.region),
                operator_id=operator.operator_id,
                outcome=outcome.value,
                case_id=case_id,
                handling_seconds=max(0.0, handled) if handled is not None else None,
            )
            tx.emit(resolved)
            return resolved

    def abandon(
        self, contact_id: uuid.UUID, now: datetime, reason: Literal["hung_up", "timeout"]
    ) -> Abandoned:
        with self.db.transaction() as tx:
            # Locked (PostgreSQL): a hang-up racing an answer must not undo it.
            entry = tx.session.get(QueueEntry, contact_id, with_for_update=True)
            if entry is None:
                raise NotFound("no such contact in any queue")
            return self._abandon(tx, entry, now, reason)

    def time_out_overdue(self, max_wait: timedelta, now: datetime) -> int:
        """Contacts waiting past `max_wait` are abandoned with reason timeout."""
        with self.db.transaction() as tx:
            overdue = tx.session.exec(
                select(QueueEntry)
                .where(
                    QueueEntry.status == ContactStatus.WAITING,
                    col(QueueEntry.received_at) < now - max_wait,
                )
                .limit(500)
                .with_for_update(skip_locked=True)  # not one an operator is taking right now
            ).all()
            for entry in overdue:
                self._abandon(tx, entry, now, "timeout")
            return len(overdue)

    def _abandon(
        self, tx: Tx, entry: QueueEntry, now: datetime, reason: Literal["hung_up", "timeout"]
    ) -> Abandoned:
        if entry.status not in (ContactStatus.WAITING, ContactStatus.ASSIGNED):
            raise QueueError(f"contact is already {entry.status}")
        received = utc(entry.received_at)
        entry.status = ContactStatus.ABANDONED.value
        tx.session.add(entry)
        abandoned = Abandoned(
            occurred_at=now,
            contact_id=entry.contact_id,
            region=Region(entry.region),
            channel=Channel(entry.channel),
            category=NeedCategory(entry.category),
            received_at=received,
            wait_seconds=wait_seconds(received, now),
            reason=reason,
            outside_service_hours=entry.outside_service_hours,
        )
        tx.emit(abandoned)
        return abandoned

    @staticmethod
    def _held_by(session: Session, operator: Operator, contact_id: uuid.UUID) -> QueueEntry:
        # Locked (PostgreSQL) so two concurrent outcomes for one contact see each other.
        entry = session.get(QueueEntry, contact_id, with_for_update=True)
        if entry is None:
            raise NotFound("no such contact in any queue")
        if entry.operator_id != operator.operator_id:
            raise Forbidden("this contact is not assigned to you")
        return entry

    def state(self, region: Region, now: datetime) -> dict[str, object]:
        with Session(self.db.engine) as session:
            rows = session.exec(
                select(QueueEntry.queue, func.count(), func.min(QueueEntry.received_at))
                .where(QueueEntry.region == region.value, QueueEntry.status == "waiting")
                .group_by(col(QueueEntry.queue))
            ).all()
            available = session.exec(
                select(func.count()).where(
                    Operator.region == region.value, Operator.status == OperatorStatus.AVAILABLE
                )
            ).one()
        waiting = {q.value: 0 for q in QueueName}
        oldest: dict[str, float] = {q.value: 0.0 for q in QueueName}
        for queue, count, first in rows:
            waiting[queue] = count
            oldest[queue] = wait_seconds(utc(first), now) if first else 0.0
        return {
            "region": region.value,
            "at": now.isoformat(),
            "waiting": waiting,
            "waiting_total": sum(waiting.values()),
            "oldest_wait_seconds": max(oldest.values()),
            "oldest_wait_by_queue": oldest,
            "operators_available": available,
        }
