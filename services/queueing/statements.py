"""The hot path's SQL, built once with bind parameters and reused for every request.

Building Core expressions on each call cost more than the database work itself, and the ORM's
unit of work cost four times the statements; take-next and answer run these on the session's
connection instead.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Select, Update, bindparam, func, update
from sqlalchemy import select as core_select

from services.queueing.domain import ContactStatus
from services.queueing.tables import Operator, QueueEntry, ReinforcementOrder

ENTRY = QueueEntry.__table__  # type: ignore[attr-defined]
OPERATOR = Operator.__table__  # type: ignore[attr-defined]
ORDER = ReinforcementOrder.__table__  # type: ignore[attr-defined]


def operator_statement() -> Select[Any]:
    """The operator, whether they hold a contact, and whether any order is active: one query.
    Binds: op, now."""
    op: BindParameter[str] = bindparam("op")
    now: BindParameter[datetime] = bindparam("now")
    busy = core_select(func.count()).where(
        ENTRY.c.operator_id == op, ENTRY.c.status == ContactStatus.ASSIGNED
    )
    orders = core_select(func.count()).where(ORDER.c.ended_at.is_(None), ORDER.c.until > now)
    return core_select(
        OPERATOR.c.status,
        OPERATOR.c.region,
        OPERATOR.c.skills,
        OPERATOR.c.lent_order_id,
        busy.scalar_subquery().label("busy"),
        orders.scalar_subquery().label("active_orders"),
    ).where(OPERATOR.c.operator_id == op)


def lock_operator_statement() -> Select[Any]:
    """Locks the operator's row (PostgreSQL) so one operator's concurrent take-next requests
    run one after the other; the next statement then sees what the first one assigned.
    Binds: op."""
    return (
        core_select(OPERATOR.c.operator_id)
        .where(OPERATOR.c.operator_id == bindparam("op"))
        .with_for_update()
    )


def release_statement() -> Update:
    """Puts back the contacts an operator holds but has not answered, in their old place
    (rank and waiting time are kept). Binds: op."""
    return (
        update(ENTRY)
        .where(ENTRY.c.operator_id == bindparam("op"), ENTRY.c.status == ContactStatus.ASSIGNED)
        .values(
            status=ContactStatus.WAITING.value, operator_id=None, assigned_at=None, order_id=None
        )
    )


def take_statement(longest_waiting: bool) -> Update:
    """Assigns one waiting contact of a region to an operator, atomically.

    Own region: by rank (priority with aging). A lent operator: the longest waiting first.
    Binds: op, now, in_region, skills (list), order."""
    order_by = (ENTRY.c.received_at,) if longest_waiting else (ENTRY.c.rank_at, ENTRY.c.received_at)
    candidate = (
        core_select(ENTRY.c.contact_id)
        .where(
            ENTRY.c.status == ContactStatus.WAITING,
            ENTRY.c.region == bindparam("in_region"),
            ENTRY.c.queue.in_(bindparam("skills", expanding=True)),
        )
        .order_by(*order_by)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serialises writers anyway
        .scalar_subquery()
    )
    return (
        update(ENTRY)
        .where(ENTRY.c.contact_id == candidate, ENTRY.c.status == ContactStatus.WAITING)
        .values(
            status=ContactStatus.ASSIGNED.value,
            operator_id=bindparam("op"),
            assigned_at=bindparam("now"),
            order_id=bindparam("order"),
        )
        .returning(
            ENTRY.c.contact_id,
            ENTRY.c.region,
            ENTRY.c.queue,
            ENTRY.c.category,
            ENTRY.c.priority,
            ENTRY.c.received_at,
            ENTRY.c.order_id,
            ENTRY.c.traceparent,
        )
    )


def answer_statement() -> Update:
    """Marks the operator's assigned contact answered. Binds: contact, op, now."""
    return (
        update(ENTRY)
        .where(
            ENTRY.c.contact_id == bindparam("contact"),
            ENTRY.c.operator_id == bindparam("op"),
            ENTRY.c.status == ContactStatus.ASSIGNED,
        )
        .values(status=ContactStatus.ANSWERED.value, answered_at=bindparam("now"))
        .returning(
            ENTRY.c.region,
            ENTRY.c.channel,
            ENTRY.c.category,
            ENTRY.c.received_at,
            ENTRY.c.order_id,
            ENTRY.c.traceparent,
        )
    )
