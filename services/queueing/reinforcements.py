"""Reinforcement orders: region X is reinforced by donor regions' operators until a time."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func, update
from sqlmodel import col, select

from schemas import DonorLoan, Region, ReinforcementEnded, ReinforcementOrdered
from services.queueing.domain import Actor, Forbidden, NotFound, QueueError
from services.queueing.statements import OPERATOR
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import Operator, ReinforcementOrder, utc

EndReason = Literal["expired", "ended_early", "recovered"]
# Sanity bounds on an order: PKC has some 500 operators, and orders are renewed, not open-ended.
MAX_LOAN = 200
MAX_ORDER = timedelta(days=1)


class Reinforcements:
    def __init__(self, db: QueueDb):
        self.db = db

    def order(
        self,
        region: Region,
        donors: tuple[DonorLoan, ...],
        until: datetime,
        ordered_by: Actor,
        now: datetime,
        cause_event_id: uuid.UUID | None = None,
        order_id: uuid.UUID | None = None,
    ) -> ReinforcementOrder:
        if until <= now:
            raise QueueError("a reinforcement order must end in the future")
        if not donors or any(d.region == region for d in donors):
            raise QueueError("name at least one donor region other than the reinforced one")
        if len({d.region for d in donors}) != len(donors):
            raise QueueError("name each donor region once")
        if any(d.operators > MAX_LOAN for d in donors):
            raise QueueError(f"a donor lends at most {MAX_LOAN} operators")
        if until > now + MAX_ORDER:
            raise QueueError("a reinforcement order lasts at most a day; order again if needed")
        with self.db.transaction() as tx:
            order = ReinforcementOrder(
                order_id=order_id or uuid.uuid4(),
                region=region.value,
                donors=",".join(f"{d.region.value}:{d.operators}" for d in donors),
                # In UTC: SQLite keeps the wall time and drops the offset.
                until=until.astimezone(UTC),
                ordered_by=ordered_by.name,
                created_at=now,
            )
            tx.session.add(order)
            tx.emit(
                ReinforcementOrdered(
                    occurred_at=now,
                    order_id=order.order_id,
                    region=region,
                    donors=donors,
                    until=until,
                    ordered_by=ordered_by.name,
                    cause_event_id=cause_event_id,
                )
            )
            tx.audit(
                now,
                "order_created",
                region.value,
                ordered_by,
                order_id=order.order_id,
                donors=order.donors,
                until=until.isoformat(),
            )
            return order

    def end(
        self,
        order_id: uuid.UUID,
        ended_by: Actor,
        reason: EndReason,
        now: datetime,
        allowed: Callable[[Region], bool] = lambda _: True,
    ) -> None:
        """Ends an order early; `allowed` says whether the one ending it may act in its region."""
        with self.db.transaction() as tx:
            order = tx.session.get(ReinforcementOrder, order_id)
            if order is None:
                raise NotFound("no such reinforcement order")
            if not allowed(Region(order.region)):
                raise Forbidden(f"not allowed to act in region {order.region}")
            if order.ended_at is not None:
                raise QueueError(f"the order already ended ({order.end_reason})")
            self._end(tx, order, ended_by, reason, now)

    def end_if_active(
        self, order_id: uuid.UUID, ended_by: Actor, reason: EndReason, now: datetime
    ) -> bool:
        """Ends the order if it exists and still stands; whether it did."""
        with self.db.transaction() as tx:
            standing = select(ReinforcementOrder).where(
                col(ReinforcementOrder.order_id) == order_id,
                col(ReinforcementOrder.ended_at).is_(None),
                col(ReinforcementOrder.until) > now,
            )
            order = tx.session.exec(standing).first()
            if order is None:
                return False
            self._end(tx, order, ended_by, reason, now)
            return True

    def expire(self, now: datetime) -> int:
        """Ends the orders whose time is up; returns how many."""
        with self.db.transaction() as tx:
            query = select(ReinforcementOrder).where(
                col(ReinforcementOrder.ended_at).is_(None), col(ReinforcementOrder.until) <= now
            )
            expired = list(tx.session.exec(query))
            for order in expired:
                self._end(tx, order, Actor.service("queueing"), "expired", now)
            return len(expired)

    def exists(self, order_id: uuid.UUID) -> bool:
        with self.db.transaction() as tx:
            return tx.session.get(ReinforcementOrder, order_id) is not None

    def active(self, now: datetime, region: str | None = None) -> list[ReinforcementOrder]:
        with self.db.transaction() as tx:
            return self._active(tx, now, region)

    def lend(self, tx: Tx, operator_id: str, now: datetime) -> ReinforcementOrder | None:
        """The order this operator works under: kept if still active, else the first active one
        whose quota for the operator's region has room (the operator is then lent to it)."""
        operator = tx.session.get(Operator, operator_id)
        if operator is None:
            return None
        order = self._lend(tx, operator, now)
        tx.session.add(operator)
        tx.session.flush()
        return order

    def _lend(self, tx: Tx, operator: Operator, now: datetime) -> ReinforcementOrder | None:
        if operator.lent_order_id is not None:
            current = tx.session.get(ReinforcementOrder, operator.lent_order_id)
            if current is not None and current.ended_at is None and utc(current.until) > now:
                return current
            operator.lent_order_id = None
        for order in self._active(tx, now, None, lock=True):
            quota = order.donor_quota().get(operator.region, 0)
            if quota and _lend_within_quota(tx, operator, order.order_id, quota):
                operator.lent_order_id = order.order_id
                tx.audit(
                    now,
                    "operator_lent",
                    order.region,
                    Actor(operator.name, operator.operator_id),
                    order_id=order.order_id,
                    donor=operator.region,
                )
                return order
        return None

    @staticmethod
    def _active(
        tx: Tx, now: datetime, region: str | None, lock: bool = False
    ) -> list[ReinforcementOrder]:
        query = select(ReinforcementOrder).where(
            col(ReinforcementOrder.ended_at).is_(None), col(ReinforcementOrder.until) > now
        )
        if region is not None:
            query = query.where(ReinforcementOrder.region == region)
        query = query.order_by(col(ReinforcementOrder.created_at))
        if lock:  # PostgreSQL locks the rows; SQLAlchemy leaves FOR UPDATE out on SQLite
            query = query.with_for_update()
        return list(tx.session.exec(query))

    @staticmethod
    def _end(
        tx: Tx, order: ReinforcementOrder, ended_by: Actor, reason: EndReason, now: datetime
    ) -> None:
        order.ended_at, order.end_reason = now, reason
        tx.session.add(order)
        for operator in tx.session.exec(
            select(Operator).where(Operator.lent_order_id == order.order_id)
        ):
            operator.lent_order_id = None
            tx.session.add(operator)
        tx.emit(
            ReinforcementEnded(
                occurred_at=now,
                order_id=order.order_id,
                region=Region(order.region),
                reason=reason,
                ended_by=ended_by.name,
            )
        )
        tx.audit(now, "order_ended", order.region, ended_by, order_id=order.order_id, reason=reason)


def _lend_within_quota(tx: Tx, operator: Operator, order_id: uuid.UUID, quota: int) -> bool:
    """Lends the operator to the order only while fewer than `quota` of their region are lent:
    one statement, so atomic in SQLite; PostgreSQL additionally holds the order row's lock
    taken by the caller. (SQLAlchemy binds the id as each dialect stores a UUID.)"""
    lent_already = (
        select(func.count())
        .select_from(OPERATOR)
        .where(OPERATOR.c.lent_order_id == order_id, OPERATOR.c.region == operator.region)
        .scalar_subquery()
    )
    lend = (
        update(OPERATOR)
        .where(OPERATOR.c.operator_id == operator.operator_id, lent_already < quota)
        .values(lent_order_id=order_id)
    )
    return bool(tx.session.connection().execute(lend).rowcount)
