"""Operators signing in, pausing, resuming and signing out; each change is a presence event
and an audit row naming the person. A session belongs to the signed-in person (their token's
subject): nobody can open one for someone else, and signing in again while a session is open
is refused unless the person asks to take it over, which the audit records."""

from datetime import datetime

from sqlmodel import Session, func, select

from schemas import OperatorPresenceChanged, QueueName, Region
from services.queueing.domain import Actor, NotFound, OperatorStatus, QueueError
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Operator

_AUDITED = {
    OperatorStatus.PAUSED: "paused",
    OperatorStatus.AVAILABLE: "resumed",
    OperatorStatus.OFFLINE: "signed_out",
}


class AlreadySignedIn(QueueError):
    """The person has an open session (another tab or device): a takeover must be explicit."""


class Operators:
    def __init__(self, db: QueueDb):
        self.db = db

    def sign_in(
        self,
        person: Actor,
        region: Region,
        skills: list[QueueName],
        takeover: bool,
        now: datetime,
    ) -> Operator:
        with self.db.transaction() as tx:
            operator = tx.session.get(Operator, person.subject)
            open_session = operator is not None and operator.status != OperatorStatus.OFFLINE
            if open_session and not takeover:
                raise AlreadySignedIn(
                    "already signed in elsewhere; sign in with takeover to move the session here"
                )
            if operator is None:
                operator = Operator(
                    operator_id=person.subject, region=region.value, logged_in_at=now
                )
            operator.name, operator.region = person.name, region.value
            operator.skills = ",".join(s.value for s in skills or list(QueueName))
            operator.logged_in_at, operator.lent_order_id = now, None
            self._release_held(tx, person.subject)  # a new session starts empty-handed
            kind = "session_taken_over" if open_session else "signed_in"
            tx.audit(now, kind, region.value, person, skills=operator.skills)
            self._set(tx, operator, OperatorStatus.AVAILABLE, None, now)
            return operator

    def on_duty(self, subject: str) -> Operator | None:
        """The person's open session, if they have one."""
        with Session(self.db.engine) as session:
            operator = session.get(Operator, subject)
        if operator is None or operator.status == OperatorStatus.OFFLINE:
            return None
        return operator

    def pause(self, operator_id: str, reason: str, now: datetime) -> Operator:
        return self._change(
            operator_id, OperatorStatus.PAUSED, reason, now, OperatorStatus.AVAILABLE
        )

    def resume(self, operator_id: str, now: datetime) -> Operator:
        return self._change(operator_id, OperatorStatus.AVAILABLE, None, now, OperatorStatus.PAUSED)

    def log_out(self, operator_id: str, now: datetime) -> Operator:
        return self._change(operator_id, OperatorStatus.OFFLINE, None, now, None)

    def count_available(self, region: Region) -> int:
        with Session(self.db.engine) as session:
            query = select(func.count()).where(
                Operator.region == region.value, Operator.status == OperatorStatus.AVAILABLE
            )
            return int(session.exec(query).one())

    def _change(
        self,
        operator_id: str,
        status: OperatorStatus,
        reason: str | None,
        now: datetime,
        required: OperatorStatus | None,
    ) -> Operator:
        with self.db.transaction() as tx:
            operator = tx.session.get(Operator, operator_id)
            if operator is None:
                raise NotFound("unknown operator")
            if required is not None and operator.status != required:
                raise QueueError(f"operator is {operator.status}, not {required.value}")
            if status == OperatorStatus.OFFLINE:
                operator.lent_order_id = None
                self._release_held(tx, operator_id)
            self._set(tx, operator, status, reason, now)
            actor = Actor(operator.name or operator_id, operator_id)
            tx.audit(now, _AUDITED[status], operator.region, actor, reason=reason)
            return operator

    @staticmethod
    def _release_held(tx: Tx, operator_id: str) -> None:
        """A contact assigned but not answered goes back to the queue in its old place; held
        by a session that has ended, nobody could ever answer it."""
        for contact in tx.contacts.held_by(operator_id):
            contact.release()
            tx.contacts.save(contact)

    @staticmethod
    def _set(
        tx: Tx, operator: Operator, status: OperatorStatus, reason: str | None, now: datetime
    ) -> None:
        operator.status, operator.pause_reason = status.value, reason
        tx.session.add(operator)
        tx.emit(
            OperatorPresenceChanged(
                occurred_at=now,
                operator_id=operator.operator_id,
                region=Region(operator.region),
                status=status.value,
                reason=reason,
            )
        )
