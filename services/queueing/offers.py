"""Push offers (the reservation model of mod_callcenter and TaskRouter): a ready operator
whose desk is open (`GET /operators/me/offers/stream`) gets the next contact reserved for them
as an offer, accepts it (busy, the contact theirs as take-next gives it) or rejects it; a
rejected offer, or one not answered within `offer_timeout_seconds`, goes back to its old
place in the queue (its rank never changed) and the operator is paused with reason
`offer_declined` until they say they are ready.

Offers go only to open desks: an operator who pulls with take-next (the simulation, an
integration) never finds a contact reserved for them. A desk looks again when `Wakeup` says a
contact may have become assignable in this process (enqueued, released, an operator ready),
and at least every `offer_poll_seconds` for what another replica did.
"""

import asyncio
import contextlib
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from schemas import Region
from services.queueing.contact import Contact
from services.queueing.domain import (
    Actor,
    ContactStatus,
    Forbidden,
    IllegalMove,
    NotFound,
    OperatorStatus,
    QueuePolicy,
)
from services.queueing.operators import (
    held_by,
    last_resolved,
    offered_to,
    set_status,
    wrap_up_over,
)
from services.queueing.presence import OfferTerms, PauseReason, may_be_offered
from services.queueing.reinforcements import Reinforcements
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Operator, QueueEntry


@dataclass(eq=False)
class Listener:
    """One desk's wake-up: set from any thread, awaited on its event loop."""

    loop: asyncio.AbstractEventLoop
    event: asyncio.Event

    async def wait(self, timeout: float) -> None:
        """Until woken or `timeout` seconds; then ready for the next wake-up."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), max(timeout, 0.0))
        self.event.clear()  # before the desk reads: a wake-up after this is not lost


class Wakeup:
    """In-process news that a contact may have become assignable."""

    def __init__(self) -> None:
        self._listeners: weakref.WeakSet[Listener] = weakref.WeakSet()
        self._lock = threading.Lock()

    def listen(self) -> Listener:
        listener = Listener(asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._listeners.add(listener)
        return listener

    def notify(self) -> None:
        """Wakes every open desk (callable from any thread)."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(RuntimeError):  # its loop is closed: the desk is gone
                listener.loop.call_soon_threadsafe(listener.event.set)


@dataclass(frozen=True)
class Desk:
    """What an operator's desk shows: their presence, and the offer on it if any."""

    operator: Operator
    offer: Contact | None
    offer_expires_at: datetime | None
    held: Contact | None = None  # accepted (or taken), its outcome not yet recorded
    wrapping_up: Contact | None = None  # during a wrap-up: the contact it follows


class Offers:
    def __init__(
        self,
        db: QueueDb,
        reinforcements: Reinforcements,
        terms: OfferTerms,
        policy: QueuePolicy,
        notify: Callable[[], None] = lambda: None,
    ):
        self.db = db
        self.reinforcements = reinforcements
        self.terms = terms
        self.policy = policy  # written contacts are offered only while their queue is open
        self.notify = notify

    def desk(self, operator_id: str, now: datetime) -> Desk | None:
        """The operator's desk, settled: an overdue offer returned, a wrap-up over ended, and
        the next contact reserved for them when they are ready. None once signed out."""
        returned = False
        with self.db.transaction() as tx:
            operator = tx.lock_operator(operator_id)  # before its offer or held contact
            if operator is None or operator.status == OperatorStatus.SIGNED_OUT:
                return None
            offers = offered_to(tx, operator_id)
            if offers and self._expired(offers[0], now):
                self._give_back(tx, operator, offers.pop(), "offer_timed_out", now)
                returned = True
            status = OperatorStatus(operator.status)
            if wrap_up_over(operator, now) or (status == OperatorStatus.OFFERED and not offers):
                set_status(tx, operator, OperatorStatus.READY, None, now)  # its caller hung up
            if not offers and may_be_offered(OperatorStatus(operator.status)):
                offers = self._reserve(tx, operator, now)
            offer = offers[0] if offers else None
            expires = (
                offer.assigned_at + self.terms.timeout if offer and offer.assigned_at else None
            )
            held = held_by(tx, operator_id)
            wrapping_up = None
            if operator.status == OperatorStatus.WRAP_UP:
                wrapping_up = last_resolved(tx, operator_id)
        if returned:
            self.notify()
        return Desk(operator, offer, expires, held[0] if held else None, wrapping_up)

    def accept(self, operator: Operator, contact_id: uuid.UUID, now: datetime) -> Contact:
        with self.db.transaction() as tx:
            held = tx.lock_operator(operator.operator_id)  # before the contact, as `desk`
            assert held is not None
            contact = self._offer(tx, contact_id)
            contact.accept(operator.operator_id, now)
            tx.contacts.save(contact)
            set_status(tx, held, OperatorStatus.BUSY, None, now)
            tx.audit(
                now, "offer_accepted", contact.region.value, _actor(held), contact_id=contact_id
            )
        self.notify()  # the desk shows them busy
        return contact

    def reject(self, operator: Operator, contact_id: uuid.UUID, now: datetime) -> Operator:
        with self.db.transaction() as tx:
            held = tx.lock_operator(operator.operator_id)  # before the contact, as `desk`
            assert held is not None
            contact = self._offer(tx, contact_id)
            if contact.operator_id != operator.operator_id:
                raise Forbidden("this offer is not yours")
            self._give_back(tx, held, contact, "offer_rejected", now)
        self.notify()
        return held

    def time_out_overdue(self, now: datetime) -> int:
        """Offers past their time go back to the queue, their operators not ready (the sweep:
        for desks closed with an offer on them); how many."""
        query = select(QueueEntry.operator_id).where(
            QueueEntry.status == ContactStatus.OFFERED.value,
            col(QueueEntry.assigned_at) <= now - self.terms.timeout,
        )
        with self.db.reading() as reading:
            operators = {op for op in reading.session.exec(query) if op is not None}
        for operator_id in operators:
            self.desk(operator_id, now)
        return len(operators)

    # --- helpers -----------------------------------------------------------------------------
    def _expired(self, offer: Contact, now: datetime) -> bool:
        return offer.assigned_at is not None and offer.assigned_at + self.terms.timeout <= now

    def _reserve(self, tx: Tx, operator: Operator, now: datetime) -> list[Contact]:
        """The next contact for this operator, reserved as an offer (lent: the reinforced
        region's longest waiting first, as take-next)."""
        on_duty = tx.contacts.operator_on_duty(operator.operator_id, now)
        assert on_duty is not None
        contact = None
        open_now = [queue.value for queue in self.policy.open_queues(now)]
        if on_duty.may_be_lent:
            order = self.reinforcements.lend(tx, operator.operator_id, now)
            if order is not None:
                lent = Contact.assignment(operator.operator_id, order.order_id, now, offer=True)
                region = Region(order.region)
                contact = tx.contacts.claim_next(region, on_duty.skills, lent, True, open_now)
        if contact is None:
            own = Contact.assignment(operator.operator_id, None, now, offer=True)
            contact = tx.contacts.claim_next(on_duty.region, on_duty.skills, own, False, open_now)
        if contact is None:
            return []
        set_status(tx, operator, OperatorStatus.OFFERED, None, now)
        tx.audit(
            now, "offered", contact.region.value, _actor(operator), contact_id=contact.contact_id
        )
        return [contact]

    @staticmethod
    def _offer(tx: Tx, contact_id: uuid.UUID) -> Contact:
        contact = tx.contacts.get(contact_id)
        if contact is None:
            raise NotFound("no such contact in any queue")
        if contact.status != ContactStatus.OFFERED:
            raise IllegalMove(f"contact is {contact.status.value}, not offered")
        return contact

    @staticmethod
    def _give_back(tx: Tx, operator: Operator, contact: Contact, kind: str, now: datetime) -> None:
        """The contact back in its old place, the operator not ready (offer_declined)."""
        contact.release()
        tx.contacts.save(contact)
        set_status(tx, operator, OperatorStatus.PAUSED, PauseReason.OFFER_DECLINED, now)
        tx.audit(now, kind, contact.region.value, _actor(operator), contact_id=contact.contact_id)


def _actor(operator: Operator) -> Actor:
    return Actor(operator.name or operator.operator_id, operator.operator_id)
