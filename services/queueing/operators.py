"""Operators logging in, pausing, resuming and logging out; each change is a presence event."""

import hashlib
from datetime import datetime

from sqlmodel import Session, func, select

from schemas import OperatorPresenceChanged, QueueName, Region
from services.queueing.domain import NotFound, OperatorStatus, QueueError
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Operator


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Operators:
    def __init__(self, db: QueueDb):
        self.db = db

    def log_in(
        self, operator_id: str, region: Region, skills: list[QueueName], token: str, now: datetime
    ) -> Operator:
        with self.db.transaction() as tx:
            operator = tx.session.get(Operator, operator_id) or Operator(
                operator_id=operator_id, region=region.value, token_hash="", logged_in_at=now
            )
            operator.region = region.value
            operator.skills = ",".join(s.value for s in skills or list(QueueName))
            operator.token_hash = token_hash(token)
            operator.logged_in_at, operator.lent_order_id = now, None
            self._release_held(tx, operator_id)  # a new session starts empty-handed
            self._set(tx, operator, OperatorStatus.AVAILABLE, None, now)
            return operator

    def by_token(self, token: str) -> Operator | None:
        with Session(self.db.engine) as session:
            query = select(Operator).where(Operator.token_hash == token_hash(token))
            operator = session.exec(query).first()
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
                operator.token_hash = ""  # the token dies with the session
                self._release_held(tx, operator_id)
            self._set(tx, operator, status, reason, now)
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
