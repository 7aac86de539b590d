"""A supervisor's actions on the board, each audited by person (the supervisor is the actor,
whom they acted on is in the detail): force an operator's sign-out, move a waiting contact to
another queue of its region, raise a waiting contact's priority. A regional supervisor acts in
their own region only (`allowed`); national supervisors anywhere."""

import uuid
from collections.abc import Callable
from datetime import datetime

from schemas import QueueName, Region
from services.queueing.contact import Contact
from services.queueing.domain import Actor, Forbidden, NotFound, OperatorStatus, QueueError
from services.queueing.handover import move, raise_priority
from services.queueing.operators import release_held, set_status
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Operator
from services.queueing.transfers import load, rewrite

Allowed = Callable[[Region], bool]


class Supervision:
    def __init__(self, db: QueueDb, changed: Callable[[], None] = lambda: None):
        self.db = db
        self.changed = changed  # contacts freed or moved: open desks look again

    def sign_out(
        self, supervisor: Actor, allowed: Allowed, operator_id: str, now: datetime
    ) -> Operator:
        """Ends the operator's session as their own sign-out does (what they held unanswered
        goes back to its place in the queue; a lent operator is lent no more)."""
        with self.db.transaction() as tx:
            operator = tx.lock_operator(operator_id)  # before what it held (Tx.lock_operator)
            if operator is None:
                raise NotFound("unknown operator")
            _check_allowed(allowed, Region(operator.region))
            if OperatorStatus(operator.status) == OperatorStatus.SIGNED_OUT:
                raise QueueError("the operator is signed out already")
            operator.lent_order_id = None
            release_held(tx, operator_id)
            set_status(tx, operator, OperatorStatus.SIGNED_OUT, None, now)
            tx.audit(
                now,
                "forced_sign_out",
                operator.region,
                supervisor,
                operator=operator.name or operator_id,
                operator_id=operator_id,
            )
        self.changed()
        return operator

    def move(
        self,
        supervisor: Actor,
        allowed: Allowed,
        contact_id: uuid.UUID,
        queue: QueueName,
        now: datetime,
    ) -> Contact:
        """Puts a waiting contact in another queue of its region."""
        with self.db.transaction() as tx:
            contact = _waiting(tx, allowed, contact_id)
            was = contact.queue
            move(contact, queue)
            rewrite(tx, contact, contact.status.value)
            tx.audit(
                now,
                "contact_moved",
                contact.region.value,
                supervisor,
                contact_id=contact_id,
                queue_from=was.value,
                queue_to=queue.value,
            )
        self.changed()
        return contact

    def raise_priority(
        self,
        supervisor: Actor,
        allowed: Allowed,
        contact_id: uuid.UUID,
        priority: int,
        now: datetime,
    ) -> Contact:
        """Makes a waiting contact more urgent: it is ranked as if it had come with that
        priority."""
        with self.db.transaction() as tx:
            contact = _waiting(tx, allowed, contact_id)
            was = contact.priority
            raise_priority(contact, priority)
            rewrite(tx, contact, contact.status.value)
            tx.audit(
                now,
                "priority_raised",
                contact.region.value,
                supervisor,
                contact_id=contact_id,
                priority_from=was,
                priority_to=priority,
            )
        self.changed()
        return contact


def _check_allowed(allowed: Allowed, region: Region) -> None:
    if not allowed(region):
        raise Forbidden(f"not allowed to act in region {region.value}")


def _waiting(tx: Tx, allowed: Allowed, contact_id: uuid.UUID) -> Contact:
    contact = load(tx, contact_id)
    _check_allowed(allowed, contact.region)
    return contact
