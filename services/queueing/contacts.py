"""Queueing's use cases for contacts: each loads contacts from the repository, moves them with
the aggregate's transitions and commits the change with its events in one transaction."""

import contextlib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlmodel import col, delete

from schemas import Abandoned, Answered, Classified, ContactResolved, QueueName, Region
from services.queueing.contact import AbandonReason, Contact
from services.queueing.domain import (
    Actor,
    ContactStatus,
    IllegalMove,
    NotFound,
    OperatorStatus,
    Outcome,
    QueueError,
    QueuePolicy,
    check_can_take,
    wait_seconds,
)
from services.queueing.presence import after_outcome
from services.queueing.presence_moves import move_known_presence, move_presence
from services.queueing.reinforcements import Reinforcements
from services.queueing.requests import (
    OperatorRequest,
    RecordedRequests,
    once_more_after_a_key_race,
)
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Callback, Operator
from services.shared.tracing import current_traceparent

# A classified contact and the W3C traceparent of the record it came in.
Arriving = tuple[Classified, str | None]

# A hang-up racing the offer of its contact to one operator after another: how many tries;
# the last one's _OfferMoved reaches the caller as a refusal to try again.
_ABANDON_ATTEMPTS = 3


class Contacts:
    def __init__(
        self,
        db: QueueDb,
        reinforcements: Reinforcements,
        policy: QueuePolicy,
        request_retention: timedelta = timedelta(days=1),
        wrap_up: timedelta = timedelta(0),
        assignable: Callable[[], None] = lambda: None,
    ):
        self.db = db
        self.reinforcements = reinforcements
        self.policy = policy
        self.request_retention = request_retention  # how long a retry gets the first response
        self.wrap_up = wrap_up  # after an outcome, before the operator is ready again
        self.assignable = assignable  # a contact joined a queue: open desks look for offers

    def enqueue(self, classified: Classified, now: datetime) -> bool:
        """Queues a classified contact; False for a redelivered event."""
        return self.enqueue_all([(classified, current_traceparent())], now) == 1

    def enqueue_all(self, arriving: Sequence[Arriving], now: datetime) -> int:
        """Queues classified contacts, each with the trace it came in (a consumer batch's), in
        one transaction with their outbox rows: one commit for a batch instead of one per
        contact. A redelivered event is skipped; how many were new."""
        with self.db.transaction() as tx:
            new = tx.contacts.first_deliveries([c.event_id for c, _ in arriving])
            first_seen = len(new)
            queued: list[Contact] = []
            for classified, traceparent in arriving:
                if classified.event_id not in new:
                    continue  # a redelivery, or the same event twice in the batch
                new.discard(classified.event_id)
                arrival = Contact.arrive(classified, self.policy, now, traceparent)
                if arrival.contact is not None:
                    queued.append(arrival.contact)
                tx.emit(arrival.event, traceparent)
            tx.contacts.add_all(queued)
        if queued:
            self.assignable()
        return first_seen

    def take_next(self, operator_id: str, now: datetime) -> Contact | None:
        """Assigns the best waiting contact: atomic, never given to two operators. A lent
        operator gets the reinforced region's longest waiting contact, else one of their own.
        An operator already holding an unanswered contact gets that one again: a take-next
        whose response was lost is retried, and must not leave the contact held unseen."""
        with self.db.transaction() as tx:
            operator = check_can_take(tx.contacts.operator_on_duty(operator_id, now))
            if operator.holds_a_contact:
                return tx.contacts.held_by(operator_id)[0]
            contact, moved = None, False
            open_now = [queue.value for queue in self.policy.open_queues(now)]
            if operator.may_be_lent:
                order = self.reinforcements.lend(tx, operator_id, now)
                if order is not None:
                    lent = Contact.assignment(operator_id, order.order_id, now)
                    contact, moved = tx.contacts.claim_next_as_busy(
                        Region(order.region), operator.skills, lent, True, open_now, operator
                    )
            if contact is None:
                own = Contact.assignment(operator_id, None, now)
                contact, moved = tx.contacts.claim_next_as_busy(
                    operator.region, operator.skills, own, False, open_now, operator
                )
            if contact is not None:
                move_known_presence(tx, operator_id, operator, OperatorStatus.BUSY, now, moved)
            return contact

    @once_more_after_a_key_race
    def answer(
        self, operator: Operator, contact_id: uuid.UUID, now: datetime, key: str | None = None
    ) -> Answered:
        """Answers the contact the operator holds. A retry (the same key, or the holder
        answering again) gets the first answer back, with no second event."""
        request = OperatorRequest(operator.operator_id, "answer", contact_id, key)
        with self.db.transaction() as tx:
            requests = RecordedRequests(tx)
            if (first := requests.under_key(request)) is not None:
                return Answered.model_validate_json(first)
            answering = Contact.answering(now)
            held = tx.contacts.answer_held(contact_id, operator.operator_id, answering)
            if held is None:  # answered before, not theirs, or not answerable
                if (first := requests.of_same_move(request)) is not None:
                    return Answered.model_validate_json(first)
                self._get(tx, contact_id).check_answerable(operator.operator_id)
                raise IllegalMove("the contact changed meanwhile; try again")
            # Reached: its number is not needed any more, and the answer says it was a callback.
            contact, called_back = held
            if called_back:
                forget_callback(tx, contact_id)
            answered = contact.answered(operator.operator_id, Region(operator.region), called_back)
            tx.emit(answered, contact.traceparent)  # the answer joins the contact's trace
            tx.audit(
                now,
                "answered" if contact.order_id is None else "answered_under_order",
                contact.region.value,
                _actor(operator),
                order_id=contact.order_id,
                contact_id=contact_id,
                operator_region=operator.region,
            )
            requests.record(request, answered.model_dump_json(), now + self.request_retention)
            return answered

    @once_more_after_a_key_race
    def resolve(
        self,
        operator: Operator,
        contact_id: uuid.UUID,
        outcome: Outcome,
        now: datetime,
        key: str | None = None,
    ) -> ContactResolved:
        """Records the outcome. A retry (the same key, or the holder sending the same outcome
        again) gets the first response back; a different outcome is refused."""
        request = OperatorRequest(operator.operator_id, "outcome", contact_id, key, outcome.value)
        with self.db.transaction() as tx:
            tx.lock_operator(operator.operator_id)  # before the contact (Tx.lock_operator)
            requests = RecordedRequests(tx)
            if (first := requests.under_key(request)) is not None:
                return ContactResolved.model_validate_json(first)
            contact = self._get(tx, contact_id)
            try:
                events = contact.resolve(operator.operator_id, outcome, now)
            except IllegalMove:
                if (first := requests.of_same_move(request)) is not None:
                    return ContactResolved.model_validate_json(first)
                raise
            tx.contacts.save(contact)
            for event in events:
                tx.emit(event)
            resolved = events[-1]
            assert isinstance(resolved, ContactResolved)
            holds_another = bool(tx.contacts.held_by(operator.operator_id))
            after = after_outcome(holds_another, self.wrap_up.total_seconds())
            move_presence(tx, operator.operator_id, after, now, now + self.wrap_up)
            tx.audit(
                now,
                "outcome",
                contact.region.value,
                _actor(operator),
                contact_id=contact_id,
                outcome=outcome.value,
                case=contact.case_number,
            )
            requests.record(request, resolved.model_dump_json(), now + self.request_retention)
        self.assignable()  # the operator's desk shows their wrap-up (or them ready)
        return resolved

    def forget_expired_requests(self, now: datetime) -> int:
        """Drops remembered answers and outcomes past their retention; how many."""
        with self.db.transaction() as tx:
            return RecordedRequests(tx).forget_expired(now)

    def abandon(self, contact_id: uuid.UUID, now: datetime, reason: AbandonReason) -> Abandoned:
        """The caller hung up. An offer vanishes from its operator's desk: they are ready
        again. Their row is locked before the contact's (Tx.lock_operator), so whom it is
        offered to is read first, unlocked; if it was offered to someone else by the time its
        row is locked, the transaction is rolled back and run again."""
        for _ in range(_ABANDON_ATTEMPTS - 1):
            with contextlib.suppress(_OfferMoved):
                return self._abandon(contact_id, now, reason)
        return self._abandon(contact_id, now, reason)

    def _abandon(self, contact_id: uuid.UUID, now: datetime, reason: AbandonReason) -> Abandoned:
        with self.db.transaction() as tx:
            if (offered_to := tx.contacts.offered_to(contact_id)) is not None:
                tx.lock_operator(offered_to)
            contact = self._get(tx, contact_id)  # a hang-up racing an answer must not undo it
            if contact.status != ContactStatus.OFFERED:
                offered_to = None  # taken or given back meanwhile: the operator is left as is
            elif contact.operator_id != offered_to:
                raise _OfferMoved  # their row is not locked: rolled back, to lock it first
            abandoned = contact.abandon(reason, now)
            tx.contacts.save(contact)
            tx.emit(abandoned)
            forget_callback(tx, contact_id)
            if offered_to is not None:  # the offer vanished from their desk: ready again
                move_presence(tx, offered_to, OperatorStatus.READY, now)
        if offered_to is not None:
            self.assignable()
        return abandoned

    def time_out_overdue(self, max_wait: timedelta, now: datetime) -> int:
        """Contacts waiting past `max_wait` are abandoned with reason timeout."""
        with self.db.transaction() as tx:
            overdue = tx.contacts.overdue(now - max_wait)
            for contact in overdue:
                tx.emit(contact.abandon("timeout", now))
                tx.contacts.save(contact)
            return len(overdue)

    def state(self, region: Region, now: datetime) -> dict[str, object]:
        with self.db.reading() as contacts:
            rows = contacts.waiting(region)
            available = contacts.operators_available(region)
        waiting = {q.value: 0 for q in QueueName}
        oldest: dict[str, float] = {q.value: 0.0 for q in QueueName}
        flagged = 0
        for queue, count, first, possible_emergencies in rows:
            waiting[queue] = count
            oldest[queue] = wait_seconds(first, now) if first else 0.0
            flagged += possible_emergencies
        return {
            "region": region.value,
            "at": now.isoformat(),
            "waiting": waiting,
            "waiting_total": sum(waiting.values()),
            "oldest_wait_seconds": max(oldest.values()),
            "oldest_wait_by_queue": oldest,
            "possible_emergencies_waiting": flagged,
            "operators_available": available,
        }

    @staticmethod
    def _get(tx: Tx, contact_id: uuid.UUID) -> Contact:
        contact = tx.contacts.get(contact_id)
        if contact is None:
            raise NotFound("no such contact in any queue")
        return contact


class _OfferMoved(QueueError):
    """A contact was offered to another operator between reading whom and locking it."""

    def __init__(self) -> None:
        super().__init__("the contact changed meanwhile; try again")


def _actor(operator: Operator) -> Actor:
    return Actor(operator.name or operator.operator_id, operator.operator_id)


def forget_callback(tx: Tx, contact_id: uuid.UUID) -> bool:
    """Deletes a callback's number once it is done (answered, abandoned, given up); whether
    the contact had one."""
    deleted = tx.session.connection().execute(_FORGET_CALLBACK, {"contact_id": contact_id})
    return bool(deleted.rowcount)


# Built once: every answer runs it, and building it cost as much as running it.
_FORGET_CALLBACK = delete(Callback).where(col(Callback.contact_id) == bindparam("contact_id"))
