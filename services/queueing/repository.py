"""Contacts in the database: the one place their SQL lives.

A repository works inside one transaction (a `Tx` of the store), so what it writes commits
together with the transaction's outbox events and processed-event record, or not at all.
It remembers the state each contact had when loaded and saves a transition only if the row
is still in that state; the row locks taken while loading (PostgreSQL) make that the rule,
and the check catches anything that slipped past them.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, case, insert
from sqlmodel import Session, col, func, select

from schemas import Channel, MatterType, NeedCategory, QueueName, Region
from services.queueing.contact import Contact
from services.queueing.domain import (
    ContactStatus,
    OperatorOnDuty,
    OperatorStatus,
    Outcome,
    QueueError,
)
from services.queueing.statements import (
    SAVED_COLUMNS,
    answer_statement,
    claim_as_busy_statement,
    claim_statement,
    contact_statement,
    held_statement,
    lock_operator_statement,
    offered_to_statement,
    operator_statement,
    overdue_statement,
    save_statement,
)
from services.queueing.tables import Operator, ProcessedEvent, QueueEntry, utc
from services.shared.prepared import run_prepared

_GET = contact_statement()
# By (PostgreSQL, longest waiting): PostgreSQL's with arrays, to be prepared.
_CLAIMS = {
    (pg, lent): claim_statement(lent, arrays=pg) for pg in (False, True) for lent in (False, True)
}
_CLAIM_OWN_BUSY, _CLAIM_LENT_BUSY = claim_as_busy_statement(False), claim_as_busy_statement(True)
_ANSWER, _HELD = answer_statement(), held_statement()
_OVERDUE = {pg: overdue_statement(arrays=pg) for pg in (False, True)}
_SAVE, _OFFERED_TO = save_statement(), offered_to_statement()
_LOCK_OPERATOR, _OPERATOR = lock_operator_statement(), operator_statement()
# Rows written as plain values (Core): no ORM object per contact or event, which a consumer
# batch of hundreds paid for in building and flushing them.
_ADD = insert(QueueEntry.__table__)  # type: ignore[attr-defined]
_PROCESSED = ProcessedEvent.__table__  # type: ignore[attr-defined]
_RECORD = insert(_PROCESSED)
_RECORDED = select(_PROCESSED.c.event_id).where(
    _PROCESSED.c.event_id.in_(bindparam("ids", expanding=True))
)


class ContactRepository:
    def __init__(self, session: Session, lock_rows: bool):
        self.session = session
        # PostgreSQL. SQLite's writers run one at a time anyway, and SQLAlchemy leaves FOR UPDATE
        # out there, so the operator's lock would be a plain read: one round trip saved.
        self.lock_rows = lock_rows
        self._loaded: dict[uuid.UUID, ContactStatus] = {}

    # --- consumed events ---------------------------------------------------------------------
    def first_delivery(self, event_id: uuid.UUID) -> bool:
        """Records a consumed event; False if it was recorded before (a redelivery)."""
        return bool(self.first_deliveries([event_id]))

    def first_deliveries(self, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Records consumed events (a batch's: one query); those not recorded before."""
        wanted = set(event_ids)
        connection = self.session.connection()
        known = connection.execute(_RECORDED, {"ids": list(wanted)}).scalars().all()
        new = wanted.difference(known)
        if new:
            connection.execute(_RECORD, [{"event_id": event_id} for event_id in sorted(new)])
        return new

    # --- contacts ----------------------------------------------------------------------------
    def add(self, contact: Contact) -> None:
        self.add_all([contact])

    def add_all(self, contacts: Sequence[Contact]) -> None:
        """The contacts' rows, in one statement."""
        if contacts:
            self.session.connection().execute(_ADD, [_columns(c) for c in contacts])

    def get(self, contact_id: uuid.UUID) -> Contact | None:
        """The contact, its row locked until the transaction ends."""
        row = self._execute(_GET, {"id": contact_id}).first()
        return self._remember(row) if row is not None else None

    def offered_to(self, contact_id: uuid.UUID) -> str | None:
        """Whom the contact is offered to, if anyone; its row not locked."""
        operator_id: str | None = self._execute(_OFFERED_TO, {"id": contact_id}).scalar()
        return operator_id

    def claim_next(
        self,
        region: Region,
        skills: list[str],
        assignment: dict[str, Any],
        longest_waiting: bool,
        open_queues: list[str] | None = None,
    ) -> Contact | None:
        """The next waiting contact of the region in these queues, assigned (see
        Contact.assignment); None when none waits. Written contacts come only from
        `open_queues` (None: every queue)."""
        statement = _CLAIMS[self.lock_rows, longest_waiting]
        params = _claim_params(region, skills, assignment, open_queues)
        claimed = self._execute(statement, params).first()
        return self._remember(claimed) if claimed is not None else None

    def claim_next_as_busy(
        self,
        region: Region,
        skills: list[str],
        assignment: dict[str, Any],
        longest_waiting: bool,
        open_queues: list[str],
        read: OperatorOnDuty,
    ) -> tuple[Contact | None, bool]:
        """`claim_next` for take-next, whose operator becomes busy when it claims a contact:
        on PostgreSQL both in one statement, from the status and region `read` (whether the
        operator was moved: not if either changed since, nor on SQLite, nor without a
        contact)."""
        if not self.lock_rows:  # SQLite: no data-modifying CTEs
            return self.claim_next(region, skills, assignment, longest_waiting, open_queues), False
        statement = _CLAIM_LENT_BUSY if longest_waiting else _CLAIM_OWN_BUSY
        params = _claim_params(region, skills, assignment, open_queues)
        params |= {
            "was": read.status.value,
            "read_region": read.region.value,
            "busy": OperatorStatus.BUSY.value,
        }
        claimed = self._execute(statement, params).first()
        if claimed is None:
            return None, False
        return self._remember(claimed), bool(claimed.moved)

    def answer_held(
        self, contact_id: uuid.UUID, operator_id: str, answering: dict[str, Any]
    ) -> tuple[Contact, bool] | None:
        """The contact, answered (see Contact.answering), if this operator held it unanswered,
        and whether a callback's number is kept for it; else None and nothing changed."""
        params = {f"new_{name}": value for name, value in answering.items()}
        row = self._execute(_ANSWER, {"id": contact_id, "op": operator_id, **params}).first()
        return (self._remember(row), bool(row.called_back)) if row is not None else None

    def held_by(self, operator_id: str) -> list[Contact]:
        """Contacts the operator was offered and has not answered."""
        self.session.flush()
        return [self._remember(row) for row in self._execute(_HELD, {"op": operator_id})]

    def overdue(self, waiting_since: datetime) -> list[Contact]:
        """Up to 500 contacts waiting since before `waiting_since`."""
        rows = self._execute(_OVERDUE[self.lock_rows], {"before": waiting_since})
        return [self._remember(row) for row in rows]

    def save(self, contact: Contact) -> None:
        """Writes the transition made since the contact was loaded."""
        values = {f"new_{name}": getattr(contact, name) for name in SAVED_COLUMNS}
        was = self._loaded[contact.contact_id]
        result = self._execute(_SAVE, {"id": contact.contact_id, "was": was.value, **values})
        if result.rowcount != 1:
            raise QueueError("the contact changed meanwhile; try again")
        self._loaded[contact.contact_id] = contact.status

    # --- the operator asking, and what live views show ---------------------------------------
    def operator_on_duty(self, operator_id: str, now: datetime) -> OperatorOnDuty | None:
        if self.lock_rows:
            # One operator's concurrent take-next requests run one after the other, each
            # seeing what the one before assigned.
            self._execute(_LOCK_OPERATOR, {"op": operator_id})
        row = self._execute(_OPERATOR, {"op": operator_id, "now": now}).first()
        if row is None:
            return None
        return OperatorOnDuty(
            status=OperatorStatus(row.status),
            region=Region(row.region),
            skills=[s for s in row.skills.split(",") if s],
            holds_a_contact=bool(row.busy),
            may_be_lent=bool(row.active_orders) or row.lent_order_id is not None,
        )

    def waiting(self, region: Region) -> list[tuple[str, int, datetime | None, int]]:
        """Per queue of the region: how many wait, since when the oldest, and how many of
        them triage flagged as possible emergencies."""
        flagged = func.sum(case((col(QueueEntry.possible_emergency), 1), else_=0))
        rows = self.session.exec(
            select(QueueEntry.queue, func.count(), func.min(QueueEntry.received_at), flagged)
            .where(QueueEntry.region == region.value, QueueEntry.status == "waiting")
            .group_by(col(QueueEntry.queue))
        ).all()
        return [
            (queue, count, utc(first) if first else None, int(flags or 0))
            for queue, count, first, flags in rows
        ]

    def operators_available(self, region: Region) -> int:
        query = select(func.count()).where(
            Operator.region == region.value, Operator.status == OperatorStatus.AVAILABLE
        )
        return int(self.session.exec(query).one())

    # --- helpers -----------------------------------------------------------------------------
    def _execute(self, statement: Any, params: dict[str, Any]) -> Any:
        """Runs one of this module's prebuilt statements: on PostgreSQL prepared, on its driver
        (services/shared/prepared.py: SQLAlchemy's part cost as much as psycopg's)."""
        if self.lock_rows:
            return run_prepared(self.session.connection(), statement, params)
        return self.session.connection().execute(statement, params)

    def _remember(self, row: Row[Any]) -> Contact:
        contact = _contact(row)
        self._loaded[contact.contact_id] = contact.status
        return contact


def _claim_params(
    region: Region, skills: list[str], assignment: dict[str, Any], open_queues: list[str] | None
) -> dict[str, Any]:
    """A claim's binds (statements.claim_statement); no `open_queues`: every queue."""
    if open_queues is None:
        open_queues = [queue.value for queue in QueueName]
    params = {f"new_{name}": value for name, value in assignment.items()}
    return params | {"in_region": region.value, "skill_queues": skills, "open_queues": open_queues}


def _columns(contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.contact_id,
        "region": contact.region.value,
        "queue": contact.queue.value,
        "channel": contact.channel.value,
        "category": contact.category.value,
        "matter": contact.matter.value,
        "priority": contact.priority,
        "received_at": contact.received_at,
        "rank_at": contact.rank_at,
        "outside_service_hours": contact.outside_service_hours,
        "possible_emergency": contact.possible_emergency,
        "low_confidence": contact.low_confidence,
        "e_service": contact.e_service,
        "decided_by": contact.decided_by,
        "rule_id": contact.rule_id,
        "confidence": contact.confidence,
        "traceparent": contact.traceparent,
        **{name: getattr(contact, name) for name in SAVED_COLUMNS},
    }


def _contact(row: Row[Any]) -> Contact:
    return Contact(
        contact_id=row.contact_id,
        region=Region(row.region),
        queue=QueueName(row.queue),
        channel=Channel(row.channel),
        category=NeedCategory(row.category),
        matter=MatterType(row.matter),
        priority=row.priority,
        received_at=utc(row.received_at),
        rank_at=utc(row.rank_at),
        status=ContactStatus(row.status),
        outside_service_hours=row.outside_service_hours,
        possible_emergency=row.possible_emergency,
        low_confidence=row.low_confidence,
        e_service=row.e_service,
        decided_by=row.decided_by,
        rule_id=row.rule_id,
        confidence=row.confidence,
        operator_id=row.operator_id,
        order_id=row.order_id,
        assigned_at=utc(row.assigned_at) if row.assigned_at else None,
        answered_at=utc(row.answered_at) if row.answered_at else None,
        abandoned_at=utc(row.abandoned_at) if row.abandoned_at else None,
        outcome=Outcome(row.outcome) if row.outcome else None,
        case_number=row.case_number,
        traceparent=row.traceparent,
    )
