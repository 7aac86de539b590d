"""Transfers: the operator holding an answered contact hands it to another queue of the
region, to another region's queue, or to 112, with a new need category (the rules are in
handover.py). One transaction writes the moved contact, its events (`Transferred`, then the
new wait's `Queued` or, for 112, `ContactResolved`), the operator's wrap-up and the audit."""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update

from schemas import Transferred
from services.queueing.contact import Contact
from services.queueing.domain import Actor, NotFound, OperatorStatus, QueueError, QueuePolicy
from services.queueing.handover import TransferOrder, transfer
from services.queueing.operators import set_status
from services.queueing.presence import after_outcome
from services.queueing.requests import (
    OperatorRequest,
    RecordedRequests,
    once_more_after_a_key_race,
)
from services.queueing.statements import ENTRY, SAVED_COLUMNS
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Operator

# What a move of a contact to another queue or region rewrites, beyond a transition's columns.
MOVED_COLUMNS = ("region", "queue", "category", "priority", "received_at", "rank_at")


class Transfers:
    def __init__(
        self,
        db: QueueDb,
        policy: QueuePolicy,
        wrap_up: timedelta,
        assignable: Callable[[], None] = lambda: None,
        request_retention: timedelta = timedelta(days=1),
    ):
        self.db = db
        self.policy = policy
        self.wrap_up = wrap_up  # after the transfer, as after an outcome
        self.assignable = assignable  # a contact joined a queue: open desks look for offers
        self.request_retention = request_retention  # how long a keyed retry gets the answer

    @once_more_after_a_key_race
    def transfer(
        self,
        operator: Operator,
        contact_id: uuid.UUID,
        order: TransferOrder,
        now: datetime,
        key: str | None = None,
    ) -> Transferred:
        """Transfers the contact. A retry under the same Idempotency-Key gets the first
        response; without a key, a retry is refused (the contact is no longer the caller's)."""
        destination = f"{order.destination}|{order.category}|{order.region}|{order.queue}"
        request = OperatorRequest(
            operator.operator_id, "transfer", contact_id, key, f"{destination}|{order.priority}"
        )
        with self.db.transaction() as tx:
            row = tx.lock_operator(operator.operator_id)  # before the contact (Tx.lock_operator)
            requests = RecordedRequests(tx)
            if (first := requests.under_key(request)) is not None:
                return Transferred.model_validate_json(first)
            contact = load(tx, contact_id)
            was = contact.status
            handover = transfer(contact, operator.operator_id, order, self.policy, now)
            rewrite(tx, contact, was.value)
            tx.emit(handover.transferred, contact.traceparent)
            tx.emit(handover.then, contact.traceparent)
            holds_another = bool(tx.contacts.held_by(operator.operator_id))
            after = after_outcome(holds_another, self.wrap_up.total_seconds())
            if row is not None:
                until = now + self.wrap_up if after == OperatorStatus.WRAP_UP else None
                set_status(tx, row, after, None, now, until)
            event = handover.transferred
            tx.audit(
                now,
                "transferred",
                event.region.value,
                Actor(operator.name or operator.operator_id, operator.operator_id),
                contact_id=contact_id,
                to=event.to_region.value if event.to_region else "112",
                queue=event.to_queue.value if event.to_queue else None,
                category=event.category.value,
            )
            if key is not None:
                expires = now + self.request_retention
                requests.record(request, event.model_dump_json(), expires)
        # The new wait, and the operator's wrap-up, for the open desks.
        self.assignable()
        return handover.transferred


def load(tx: Tx, contact_id: uuid.UUID) -> Contact:
    contact = tx.contacts.get(contact_id)
    if contact is None:
        raise NotFound("no such contact in any queue")
    return contact


def rewrite(tx: Tx, contact: Contact, was: str) -> None:
    """Writes the contact whole (queue, region, category, priority and rank included), if its
    row is still in the state `was` it was loaded in; else the caller is told to try again."""
    values = {name: getattr(contact, name) for name in (*MOVED_COLUMNS, *SAVED_COLUMNS)}
    statement = (
        update(ENTRY)
        .where(ENTRY.c.contact_id == contact.contact_id, ENTRY.c.status == was)
        .values(**values)
    )
    if tx.session.connection().execute(statement).rowcount != 1:
        raise QueueError("the contact changed meanwhile; try again")
