"""Operators signing in, pausing, resuming, getting ready and signing out; each change is an
audit row naming the person, and a presence event when reporting's view of it changes
(services/queueing/presence.py). A session belongs to the signed-in person (their token's
subject): nobody can open one for someone else, and signing in again while a session is open
is refused unless the person asks to take it over, which the audit records."""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, func, select

from schemas import OperatorPresenceChanged, QueueName, Region
from services.queueing.contact import Contact
from services.queueing.domain import Actor, ContactStatus, NotFound, OperatorStatus, QueueError
from services.queueing.presence import (
    PauseReason,
    check_may_be_ready,
    check_may_pause,
    check_may_resume,
    reported_status,
)
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Operator, QueueEntry, utc

OPERATOR = Operator.__table__  # type: ignore[attr-defined]
_AUDITED = {
    OperatorStatus.PAUSED: "paused",
    OperatorStatus.READY: "resumed",
    OperatorStatus.SIGNED_OUT: "signed_out",
}


class AlreadySignedIn(QueueError):
    """The person has an open session (another tab or device): a takeover must be explicit."""


class Operators:
    def __init__(self, db: QueueDb, ready: Callable[[], None] = lambda: None):
        self.db = db
        self.ready = ready  # presence changed: the open desks (offer streams) look again

    def sign_in(
        self,
        person: Actor,
        region: Region,
        skills: list[QueueName],
        takeover: bool,
        now: datetime,
    ) -> Operator:
        with self.db.transaction() as tx:
            # Locked before the contacts a takeover gives back (Tx.lock_operator).
            operator = tx.lock_operator(person.subject)
            open_session = operator is not None and operator.status != OperatorStatus.SIGNED_OUT
            if open_session and not takeover:
                raise AlreadySignedIn(
                    "already signed in elsewhere; sign in with takeover to move the session here"
                )
            if operator is None:
                operator = Operator(
                    operator_id=person.subject,
                    region=region.value,
                    logged_in_at=now,
                    status=OperatorStatus.SIGNED_OUT,
                )
            operator.name, operator.region = person.name, region.value
            operator.skills = ",".join(s.value for s in skills or list(QueueName))
            operator.logged_in_at, operator.lent_order_id = now, None
            release_held(tx, person.subject)  # a new session starts empty-handed
            kind = "session_taken_over" if open_session else "signed_in"
            tx.audit(now, kind, region.value, person, skills=operator.skills)
            set_status(tx, operator, OperatorStatus.READY, None, now, force_event=True)
        self.ready()
        return operator

    def on_duty(self, subject: str, now: datetime | None = None) -> Operator | None:
        """The person's open session, if they have one; a wrap-up past its end is ended
        here (when `now` is given), so the operator reads ready without waiting for the sweep."""
        with Session(self.db.engine) as session:
            operator = session.get(Operator, subject)
        if operator is None or operator.status == OperatorStatus.SIGNED_OUT:
            return None
        if now is not None and wrap_up_over(operator, now):
            self.end_wrap_ups(now, subject)
            return self.on_duty(subject)
        return operator

    def pause(self, operator_id: str, reason: PauseReason, now: datetime) -> Operator:
        return self._change(operator_id, OperatorStatus.PAUSED, reason, now, check_may_pause)

    def resume(self, operator_id: str, now: datetime) -> Operator:
        return self._change(operator_id, OperatorStatus.READY, None, now, check_may_resume)

    def make_ready(self, operator_id: str, now: datetime) -> Operator:
        """Ends the operator's wrap-up (or pause) at their own word."""
        return self._change(operator_id, OperatorStatus.READY, None, now, check_may_be_ready)

    def log_out(self, operator_id: str, now: datetime) -> Operator:
        return self._change(operator_id, OperatorStatus.SIGNED_OUT, None, now, lambda _: None)

    def end_wrap_ups(self, now: datetime, operator_id: str | None = None) -> int:
        """Operators whose wrap-up time is over are ready again (the sweep; or one of them,
        when they call); how many."""
        with self.db.transaction() as tx:
            query = select(Operator).where(
                Operator.status == OperatorStatus.WRAP_UP.value,
                Operator.wrap_up_until <= now,  # type: ignore[operator]
            )
            if operator_id is not None:
                query = query.where(Operator.operator_id == operator_id)
            over = list(tx.session.exec(query.with_for_update(skip_locked=True)))
            for operator in over:
                set_status(tx, operator, OperatorStatus.READY, None, now)
        if over:
            self.ready()
        return len(over)

    def count_available(self, region: Region) -> int:
        with Session(self.db.engine) as session:
            query = select(func.count()).where(
                Operator.region == region.value, Operator.status == OperatorStatus.READY
            )
            return int(session.exec(query).one())

    def _change(
        self,
        operator_id: str,
        status: OperatorStatus,
        reason: PauseReason | None,
        now: datetime,
        check: Callable[[OperatorStatus], None],
    ) -> Operator:
        with self.db.transaction() as tx:
            # Locked before the contacts a pause or sign-out gives back (Tx.lock_operator).
            operator = tx.lock_operator(operator_id)
            if operator is None:
                raise NotFound("unknown operator")
            check(OperatorStatus(operator.status))
            if status == OperatorStatus.SIGNED_OUT:
                operator.lent_order_id = None
            if status in (OperatorStatus.SIGNED_OUT, OperatorStatus.PAUSED):
                release_held(tx, operator_id, offers_only=status == OperatorStatus.PAUSED)
            set_status(tx, operator, status, reason, now)
            actor = Actor(operator.name or operator_id, operator_id)
            reason_text = reason.value if reason else None
            tx.audit(now, _AUDITED[status], operator.region, actor, reason=reason_text)
        self.ready()  # ready, or a contact given back by a pause or sign-out: desks look again
        return operator


def wrap_up_over(operator: Operator, now: datetime) -> bool:
    until = operator.wrap_up_until
    return operator.status == OperatorStatus.WRAP_UP and until is not None and utc(until) <= now


def release_held(tx: Tx, operator_id: str, offers_only: bool = False) -> None:
    """Contacts offered to or assigned to the operator but not answered go back to the queue
    in their old place: held by a session that has ended (or a desk that paused with an offer
    on it), nobody could ever answer them."""
    for contact in offered_to(tx, operator_id):
        contact.release()
        tx.contacts.save(contact)
    if offers_only:
        return
    for contact in tx.contacts.held_by(operator_id):
        contact.release()
        tx.contacts.save(contact)


def offered_to(tx: Tx, operator_id: str) -> list[Contact]:
    """The contacts on the operator's desk as an offer (at most one), locked."""
    query = select(QueueEntry.contact_id).where(
        QueueEntry.operator_id == operator_id, QueueEntry.status == ContactStatus.OFFERED.value
    )
    found = (tx.contacts.get(contact_id) for contact_id in tx.session.exec(query))
    return [c for c in found if c is not None and c.status == ContactStatus.OFFERED]


def held_by(tx: Tx, operator_id: str) -> list[Contact]:
    """The contacts the operator holds, assigned or answered and not yet resolved (oldest
    first): what their desk works on."""
    holding = (ContactStatus.ASSIGNED.value, ContactStatus.ANSWERED.value)
    query = (
        select(QueueEntry.contact_id)
        .where(QueueEntry.operator_id == operator_id, col(QueueEntry.status).in_(holding))
        .order_by(col(QueueEntry.assigned_at))
    )
    found = (tx.contacts.get(contact_id) for contact_id in tx.session.exec(query))
    return [c for c in found if c is not None]


def last_resolved(tx: Tx, operator_id: str) -> Contact | None:
    """The contact the operator most recently gave an outcome: what a wrap-up is about."""
    query = (
        select(QueueEntry.contact_id)
        .where(
            QueueEntry.operator_id == operator_id,
            QueueEntry.status == ContactStatus.RESOLVED.value,
        )
        .order_by(col(QueueEntry.answered_at).desc())
        .limit(1)
    )
    contact_id = tx.session.exec(query).first()
    return tx.contacts.get(contact_id) if contact_id is not None else None


def set_status(
    tx: Tx,
    operator: Operator,
    status: OperatorStatus,
    reason: PauseReason | None,
    now: datetime,
    wrap_up_until: datetime | None = None,
    force_event: bool = False,
) -> None:
    """Moves the operator's presence; the event goes out only when reporting's view of it
    (`reported_status`) changes, or when `force_event` (a sign-in always says so)."""
    was = OperatorStatus(operator.status)
    operator.status, operator.pause_reason = status.value, reason.value if reason else None
    operator.status_since, operator.wrap_up_until = now, wrap_up_until
    tx.session.add(operator)
    announce_presence(
        tx, operator.operator_id, Region(operator.region), was, status, reason, now, force_event
    )


def announce_presence(
    tx: Tx,
    operator_id: str,
    region: Region,
    was: OperatorStatus,
    status: OperatorStatus,
    reason: PauseReason | None,
    now: datetime,
    force_event: bool = False,
) -> None:
    """The presence event, when reporting's view of it (`reported_status`) changes, or when
    `force_event` (a sign-in always says so)."""
    if force_event or reported_status(status) != reported_status(was):
        tx.emit(
            OperatorPresenceChanged(
                occurred_at=now,
                operator_id=operator_id,
                region=region,
                status=reported_status(status),
                reason=reason.value if reason else None,
            )
        )
