"""Each region's queue state (schemas/queue_state.py), read from the queueing database.

The same figures as `GET /queues/{region}` (Contacts.state): the waiting entries of the
region, and their waits by `wait_seconds`. It reads every region in two grouped queries, one
of waiting entries and one of operators, and splits them further (by priority and channel,
operators by state), so one snapshot is read at one moment and its depths add up.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, bindparam, case, exists, func, select

from domain.service_level import ServiceLevelPolicy
from schemas import Channel, QueueName, Region
from schemas.queue_state import (
    OTHER_PAUSE,
    PAUSE_REASONS,
    PRIORITIES,
    OperatorCounts,
    QueueState,
    ServiceLevelFigures,
)
from services.queueing.domain import ContactStatus, OperatorStatus, wait_seconds
from services.queueing.statements import ENTRY, OPERATOR
from services.queueing.store import QueueDb
from services.queueing.tables import utc

# An operator holds a contact from its assignment until its outcome.
HELD = (ContactStatus.ASSIGNED.value, ContactStatus.ANSWERED.value)


# Presence as a wallboard shows it is the desk's presence (OperatorCounts' fields); rows
# written before the desk's presence still hold the old names (docs/operations.md: UPDATE).
_OLD_NAMES = {"available": OperatorStatus.READY, "offline": OperatorStatus.SIGNED_OUT}


def operator_state(status: str, holds_contact: bool) -> OperatorStatus:
    """The one mapping of a stored operator status to the published state. Holding a contact
    is busy, whatever else."""
    state = _OLD_NAMES.get(status) or OperatorStatus(status)
    if holds_contact and state is not OperatorStatus.SIGNED_OUT:
        return OperatorStatus.BUSY
    return state


def pause_reason_key(reason: str | None) -> str:
    """A reason of the agreed vocabulary, or `other`: a typed reason may name a person."""
    key = (reason or "").strip().lower()
    return key if key in PAUSE_REASONS else OTHER_PAUSE


@dataclass(frozen=True)
class Waiting:
    """One group of a region's waiting contacts (same queue, channel and priority)."""

    queue: str
    channel: str
    priority: int
    count: int
    oldest: datetime
    possible_emergencies: int
    over_threshold: int


@dataclass(frozen=True)
class Staff:
    """One operator, as counted: status, pause reason and whether they hold a contact."""

    status: str
    pause_reason: str | None
    holds_contact: bool


def operator_counts(staff: Iterable[Staff]) -> OperatorCounts:
    states: Counter[OperatorStatus] = Counter()
    reasons: Counter[str] = Counter({reason: 0 for reason in (*PAUSE_REASONS, OTHER_PAUSE)})
    for person in staff:
        state = operator_state(person.status, person.holds_contact)
        states[state] += 1
        if state is OperatorStatus.PAUSED:
            reasons[pause_reason_key(person.pause_reason)] += 1
    return OperatorCounts(
        **{state.value: states[state] for state in OperatorStatus}, paused_by_reason=dict(reasons)
    )


def snapshot(
    region: Region,
    now: datetime,
    waiting: Iterable[Waiting],
    staff: Iterable[Staff],
    service_level: ServiceLevelPolicy,
) -> QueueState:
    """A region's state from its waiting groups and its operators (pure: no I/O)."""
    by_priority = {str(p): 0 for p in PRIORITIES}
    by_channel = dict.fromkeys(Channel, 0)
    by_queue = dict.fromkeys(QueueName, 0)
    oldest = dict.fromkeys(QueueName, 0.0)
    flagged = over = 0
    for group in waiting:
        by_priority[str(group.priority)] += group.count
        by_channel[Channel(group.channel)] += group.count
        queue = QueueName(group.queue)
        by_queue[queue] += group.count
        oldest[queue] = max(oldest[queue], wait_seconds(group.oldest, now))
        flagged += group.possible_emergencies
        over += group.over_threshold
    return QueueState(
        region=region,
        as_of=now,
        waiting_total=sum(by_queue.values()),
        waiting_by_priority=by_priority,
        waiting_by_channel=by_channel,
        waiting_by_queue=by_queue,
        oldest_wait_seconds=max(oldest.values()),
        oldest_wait_by_queue=oldest,
        possible_emergencies_waiting=flagged,
        operators=operator_counts(staff),
        service_level=ServiceLevelFigures(
            target=service_level.target,
            threshold_seconds=service_level.threshold_seconds,
            waiting_over_threshold=over,
        ),
    )


class QueueStates:
    """Reads every region's state from the database."""

    def __init__(self, db: QueueDb, service_level: ServiceLevelPolicy):
        self.db = db
        self.service_level = service_level

    def read(self, now: datetime) -> list[QueueState]:
        since = now - timedelta(seconds=self.service_level.threshold_seconds)
        with self.db.engine.connect() as connection:
            waiting = _by_region(connection.execute(_WAITING, {"since": since}))
            staff = _by_region(connection.execute(_STAFF))
        return [
            snapshot(
                region,
                now,
                [_waiting(row) for row in waiting[region]],
                [Staff(row.status, row.pause_reason, bool(row.holds)) for row in staff[region]],
                self.service_level,
            )
            for region in Region
        ]


def _waiting_statement() -> Select[Any]:
    """Waiting contacts per region, queue, channel and priority. Binds: since (the service
    level's threshold ago)."""
    flagged = func.sum(case((ENTRY.c.possible_emergency, 1), else_=0))
    late = func.sum(case((ENTRY.c.received_at < bindparam("since"), 1), else_=0))
    groups = (ENTRY.c.region, ENTRY.c.queue, ENTRY.c.channel, ENTRY.c.priority)
    return (
        select(
            *groups,
            func.count().label("depth"),
            func.min(ENTRY.c.received_at).label("oldest"),
            flagged.label("flagged"),
            late.label("late"),
        )
        .where(ENTRY.c.status == ContactStatus.WAITING.value)
        .group_by(*groups)
    )


def _staff_statement() -> Select[Any]:
    """Every operator's region, status, pause reason and whether they hold a contact."""
    holds = exists().where(ENTRY.c.operator_id == OPERATOR.c.operator_id, ENTRY.c.status.in_(HELD))
    return select(
        OPERATOR.c.region, OPERATOR.c.status, OPERATOR.c.pause_reason, holds.label("holds")
    )


_WAITING, _STAFF = _waiting_statement(), _staff_statement()


def _by_region(rows: Iterable[Row[Any]]) -> dict[Region, list[Row[Any]]]:
    found: dict[Region, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        found[Region(row.region)].append(row)
    return found


def _waiting(row: Row[Any]) -> Waiting:
    return Waiting(
        row.queue,
        row.channel,
        row.priority,
        row.depth,
        utc(row.oldest),
        int(row.flagged or 0),
        int(row.late or 0),
    )
