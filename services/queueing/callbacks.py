"""Callbacks (virtual hold): a caller waiting in a phone queue asks, through their adapter, to
be called back. The contact keeps its place (its rank never changes) and is never timed out;
at its turn an operator gets it as usual (take-next or an offer), reads the number from its
callback task and calls. Reached: they answer it as any call, and the number is deleted.
Nobody answers: `no_answer` counts a try; the contact goes back to its place, not offered
again before `retry_after`, until `max_tries` calls were made, then it is abandoned
(`callback_unanswered`) and the number deleted. How a callback counts in the service level:
schemas/callbacks.py and docs/queues.md."""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas import CallbackAttempted, CallbackRequested, Channel
from services.queueing.contact import Contact
from services.queueing.domain import (
    Actor,
    ContactStatus,
    Forbidden,
    IllegalMove,
    NotFound,
    OperatorStatus,
    QueueError,
)
from services.queueing.operators import set_status
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Callback, Operator, utc

# What an adapter may send: digits, optionally a leading + and spaces or dashes.
NUMBER = re.compile(r"\+?[0-9][0-9 -]{4,18}[0-9]")


@dataclass(frozen=True)
class CallbackTerms:
    max_tries: int = 3
    retry_after: timedelta = timedelta(minutes=10)

    def retries(self, tries: int) -> bool:
        """After `tries` calls nobody answered: is it tried again?"""
        return tries < self.max_tries


@dataclass(frozen=True)
class CallbackTask:
    """What the operator holding a callback needs to make the call."""

    contact_id: uuid.UUID
    number: str
    attempt: int  # the call about to be made, 1 for the first
    max_tries: int


class Callbacks:
    def __init__(self, db: QueueDb, terms: CallbackTerms, notify: Callable[[], None]):
        self.db, self.terms, self.notify = db, terms, notify

    def request(self, contact_id: uuid.UUID, number: str, now: datetime) -> CallbackRequested:
        """The waiting caller asks for a callback; asking again with the same number is a
        retry (the first answer, no second event)."""
        if not NUMBER.fullmatch(number):
            raise QueueError("the callback number is not a phone number")
        with self.db.transaction() as tx:
            contact = _contact(tx, contact_id)
            requested = CallbackRequested(
                event_id=uuid.uuid5(contact_id, CallbackRequested.EVENT_TYPE),
                occurred_at=now,
                contact_id=contact_id,
                region=contact.region,
                channel=contact.channel,
            )
            existing = tx.session.get(Callback, contact_id)
            if existing is not None:
                if existing.number != number:
                    raise QueueError("a callback to another number was asked for already")
                return requested.model_copy(update={"occurred_at": utc(existing.requested_at)})
            if contact.channel != Channel.PHONE:
                raise QueueError("only a call can be called back")
            if contact.status != ContactStatus.WAITING:
                raise IllegalMove(f"contact is {contact.status.value}: no callback now")
            tx.session.add(Callback(contact_id=contact_id, number=number, requested_at=now))
            tx.emit(requested)
        return requested

    def task(self, operator: Operator, contact_id: uuid.UUID, now: datetime) -> CallbackTask:
        """The number to call, for the operator holding the contact (audited)."""
        with self.db.transaction() as tx:
            contact, callback = self._held(tx, operator, contact_id)
            tx.audit(
                now,
                "callback_number_read",
                contact.region.value,
                _actor(operator),
                contact_id=contact_id,
            )
            return CallbackTask(
                contact_id, callback.number, callback.tries + 1, self.terms.max_tries
            )

    def no_answer(
        self, operator: Operator, contact_id: uuid.UUID, now: datetime
    ) -> CallbackAttempted:
        """The operator called and nobody answered: back to its place for a later try, or
        abandoned after the last; the operator is ready for the next contact."""
        with self.db.transaction() as tx:
            tx.lock_operator(operator.operator_id)
            contact, callback = self._held(tx, operator, contact_id)
            if contact.status != ContactStatus.ASSIGNED:
                raise IllegalMove(f"contact is {contact.status.value}, not an unanswered callback")
            callback.tries += 1
            retry = self.terms.retries(callback.tries)
            attempted = CallbackAttempted(
                occurred_at=now,
                contact_id=contact_id,
                region=contact.region,
                channel=contact.channel,
                operator_id=operator.operator_id,
                attempt=callback.tries,
                retry=retry,
            )
            tx.emit(attempted)
            if retry:
                contact.release()  # its old place: the rank never changed
                callback.not_before = now + self.terms.retry_after
                tx.session.add(callback)
            else:
                tx.emit(contact.abandon("callback_unanswered", now))
                tx.session.delete(callback)  # given up: the number is deleted
            tx.contacts.save(contact)
            row = tx.session.get(Operator, operator.operator_id)
            if row is not None and row.status != OperatorStatus.SIGNED_OUT:
                set_status(tx, row, OperatorStatus.READY, None, now)
        self.notify()
        return attempted

    @staticmethod
    def _held(tx: Tx, operator: Operator, contact_id: uuid.UUID) -> tuple[Contact, Callback]:
        contact = _contact(tx, contact_id)
        if contact.operator_id != operator.operator_id:
            raise Forbidden("this contact is not assigned to you")
        callback = tx.session.get(Callback, contact_id)
        if callback is None:
            raise NotFound("no callback was asked for this contact")
        return contact, callback


def _contact(tx: Tx, contact_id: uuid.UUID) -> Contact:
    contact = tx.contacts.get(contact_id)
    if contact is None:
        raise NotFound("no such contact in any queue")
    return contact


def _actor(operator: Operator) -> Actor:
    return Actor(operator.name or operator.operator_id, operator.operator_id)
