"""The contact repository's SQL, built once with bind parameters and reused for every request.

Building Core expressions on each call cost more than the database work itself, and the ORM's
unit of work cost four times the statements; the repository runs these on the session's
connection instead.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Select,
    String,
    Update,
    all_,
    any_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    update,
)
from sqlalchemy import select as core_select

from schemas import Channel
from services.queueing.contact import ANSWERABLE, ASSIGNABLE
from services.queueing.domain import ContactStatus
from services.queueing.tables import Callback, Operator, QueueEntry, ReinforcementOrder

ENTRY = QueueEntry.__table__  # type: ignore[attr-defined]
OPERATOR = Operator.__table__  # type: ignore[attr-defined]
ORDER = ReinforcementOrder.__table__  # type: ignore[attr-defined]
CALLBACK = Callback.__table__  # type: ignore[attr-defined]
# Mail, e-service, social media: offered only while their queue is open, never timed out.
WRITTEN = tuple(channel.value for channel in Channel if channel.is_written)
# What a contact's transitions change; the rest is written once, when it joins the queue.
SAVED_COLUMNS = (
    "status",
    "operator_id",
    "order_id",
    "assigned_at",
    "answered_at",
    "abandoned_at",
    "outcome",
    "case_number",
)


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


def contact_statement() -> Select[Any]:
    """One contact, whole, its row locked (PostgreSQL) until the transaction ends, so a
    hang-up racing an answer, or two outcomes at once, see each other. Binds: id."""
    return core_select(ENTRY).where(ENTRY.c.contact_id == bindparam("id")).with_for_update()


def offered_to_statement() -> Select[Any]:
    """Whom a contact is offered to, if anyone, read without a lock: a hang-up locks that
    operator's row before the contact's (Contacts.abandon). Binds: id."""
    return core_select(ENTRY.c.operator_id).where(
        ENTRY.c.contact_id == bindparam("id"), ENTRY.c.status == ContactStatus.OFFERED
    )


def claim_statement(longest_waiting: bool, arrays: bool = False) -> Update:
    """Assigns the next waiting contact of a region in the operator's queues, atomically, and
    returns it whole. Own region: by rank (priority with aging). A lent operator: the longest
    waiting first. Rows another transaction is taking right now are skipped (PostgreSQL;
    SQLite's writers run one at a time anyway). A written contact is taken only from a queue
    open now (open_queues): it waits across closing hours for the next opening.
    Binds: in_region, skill_queues (list), open_queues (list), and new_<column> for
    Contact.assignment's columns. `arrays` (PostgreSQL): the lists as arrays (`= ANY`), so the
    statement's text is one for any number of queues and it can be prepared (shared/prepared.py);
    SQLite has no arrays, and gets an IN list of each list's length."""
    order_by = (ENTRY.c.received_at,) if longest_waiting else (ENTRY.c.rank_at, ENTRY.c.received_at)
    candidate = (
        core_select(ENTRY.c.contact_id)
        .where(
            ENTRY.c.status == ASSIGNABLE,
            ENTRY.c.region == bindparam("in_region"),
            # Not named `skills`: in claim_as_busy_statement, SQLAlchemy would set a bind named
            # after one of the operator's columns on the operator's row.
            _queue_among("skill_queues", arrays),
            or_(_spoken(arrays), _queue_among("open_queues", arrays)),
            # A callback nobody answered waits out its retry delay (the assignment's time).
            ENTRY.c.contact_id.not_in(
                core_select(CALLBACK.c.contact_id).where(
                    CALLBACK.c.not_before > bindparam("new_assigned_at")
                )
            ),
        )
        .order_by(*order_by)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    assigned = ("status", "operator_id", "order_id", "assigned_at")
    return (
        update(ENTRY)
        .where(ENTRY.c.contact_id == candidate, ENTRY.c.status == ASSIGNABLE)
        .values({name: bindparam(f"new_{name}") for name in assigned})
        .returning(*ENTRY.c)
    )


def _queue_among(name: str, arrays: bool) -> ColumnElement[bool]:
    """The queue one of the list bound as `name`; `arrays`: as an array (claim_statement)."""
    among: ColumnElement[bool] = (
        ENTRY.c.queue == any_(bindparam(name, type_=ARRAY(String)))
        if arrays
        else ENTRY.c.queue.in_(bindparam(name, expanding=True))
    )
    return among


def _spoken(arrays: bool) -> ColumnElement[bool]:
    """Not a written channel; `arrays`: against an array (claim_statement)."""
    spoken: ColumnElement[bool] = (
        ENTRY.c.channel != all_(literal(list(WRITTEN), ARRAY(String)))
        if arrays
        else ENTRY.c.channel.not_in(WRITTEN)
    )
    return spoken


def presence_move(status: Any, since: Any, until: Any) -> dict[str, Any]:
    """What moving an operator's presence writes (a pause's reason is `set_status`'s, in
    services/queueing/operators.py): one list for the statements that make the move."""
    return {"status": status, "pause_reason": None, "status_since": since, "wrap_up_until": until}


def claim_as_busy_statement(longest_waiting: bool) -> Select[Any]:
    """PostgreSQL: `claim_statement`, and in the same statement (a data-modifying CTE) the
    claiming operator moved to busy from the status and region take-next read them in; `moved`
    says whether they were still those (the caller then moves them on its own). One statement
    instead of two on every take. Binds: claim_statement's, was, read_region, busy."""
    claimed = claim_statement(longest_waiting, arrays=True).cte("claimed")
    moved = (
        update(OPERATOR)
        .where(
            OPERATOR.c.operator_id == bindparam("new_operator_id"),
            OPERATOR.c.status == bindparam("was"),
            OPERATOR.c.region == bindparam("read_region"),
            exists(core_select(claimed.c.contact_id)),
        )
        .values(presence_move(bindparam("busy"), bindparam("new_assigned_at"), None))
        .returning(OPERATOR.c.operator_id)
        .cte("moved")
    )
    return core_select(claimed, exists(core_select(moved.c.operator_id)).label("moved")).add_cte(
        moved
    )


def answer_statement() -> Update:
    """Answers a contact the operator holds unanswered (Contact.answering), atomically, and
    returns it whole with whether a callback's number is kept for it (`called_back`: only
    then is there a row to delete, and most answers spare that statement); nothing when it
    is not theirs or not answerable. Binds: id, op, new_status, new_answered_at."""
    called_back = exists().where(CALLBACK.c.contact_id == ENTRY.c.contact_id)
    return (
        update(ENTRY)
        .where(
            ENTRY.c.contact_id == bindparam("id"),
            ENTRY.c.operator_id == bindparam("op"),
            ENTRY.c.status == ANSWERABLE,
        )
        .values({name: bindparam(f"new_{name}") for name in ("status", "answered_at")})
        .returning(*ENTRY.c, called_back.label("called_back"))
    )


def held_statement() -> Select[Any]:
    """The contacts an operator holds but has not answered, locked. Binds: op."""
    return (
        core_select(ENTRY)
        .where(ENTRY.c.operator_id == bindparam("op"), ENTRY.c.status == ContactStatus.ASSIGNED)
        .with_for_update()
    )


def overdue_statement(arrays: bool = False) -> Select[Any]:
    """Contacts waiting since before a time, at most 500, skipping any an operator is taking
    right now; written ones (mail, e-service, social media) and callbacks never time out.
    Binds: before. `arrays`: as claim_statement's."""
    return (
        core_select(ENTRY)
        .where(
            ENTRY.c.status == ContactStatus.WAITING,
            ENTRY.c.received_at < bindparam("before"),
            _spoken(arrays),
            ENTRY.c.contact_id.not_in(core_select(CALLBACK.c.contact_id)),  # nobody holds
        )
        .limit(500)
        .with_for_update(skip_locked=True)
    )


def save_statement() -> Update:
    """Writes a contact's state after a transition, only if it is still in the state the
    transition started from (a compare-and-set: zero rows means someone else moved it first).
    Binds: id, was, and new_<column> for each column a transition changes."""
    return (
        update(ENTRY)
        .where(ENTRY.c.contact_id == bindparam("id"), ENTRY.c.status == bindparam("was"))
        .values({name: bindparam(f"new_{name}") for name in SAVED_COLUMNS})
    )
