"""Estimated waits from the live queues: per region, queue and channel for anyone (no personal
data: counts and seconds), and one waiting contact's place for its adapter. The estimate is
wait_estimate.py's; what it reads (waiting contacts, recent departures, operators on duty)
comes from queueing's tables here."""

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true
from sqlmodel import Session, col, func, select

from schemas import Channel, QueueName, Region
from services.queueing.domain import ContactStatus, NotFound, OperatorStatus, QueuePolicy
from services.queueing.store import QueueDb
from services.queueing.tables import Operator, QueueEntry, utc
from services.queueing.wait_estimate import RATE_WINDOW, QueueLoad, estimate_wait

# Operators serving a queue: signed in and not paused.
ON_DUTY = (
    OperatorStatus.READY,
    OperatorStatus.OFFERED,
    OperatorStatus.BUSY,
    OperatorStatus.WRAP_UP,
)
# The channels whose contacts wait in operator queues.
QUEUED_CHANNELS = (Channel.PHONE, Channel.MAIL, Channel.E_SERVICE, Channel.SOCIAL_MEDIA)
Key = tuple[str, str]  # region, queue


@dataclass(frozen=True)
class ChannelWait:
    waiting: int
    estimated_wait_seconds: float | None  # for a contact arriving now; None: no estimate
    open: bool
    opens_at: datetime | None  # when closed: the next opening
    target_seconds: float | None  # written channels' service target


@dataclass(frozen=True)
class QueueWait:
    region: Region
    queue: QueueName
    waiting: int
    open: bool
    estimated_wait_seconds: float | None
    opens_at: datetime | None
    channels: dict[Channel, ChannelWait]


@dataclass(frozen=True)
class Place:
    """One contact's place: its status, and while it waits its position (1: next) and
    estimated wait; when its queue is closed, the next opening."""

    contact_id: uuid.UUID
    status: ContactStatus
    region: Region
    queue: QueueName
    channel: Channel
    position: int | None
    estimated_wait_seconds: float | None
    opens_at: datetime | None
    due_at: datetime | None  # written: received + the written channels' service target


@dataclass(frozen=True)
class _Live:
    waiting: Counter[tuple[str, str, str]]  # region, queue, channel
    answered: Counter[Key]
    abandoned: Counter[Key]
    staffed: Counter[Key]
    ready: Counter[Key]


class Waits:
    def __init__(
        self, db: QueueDb, policy: QueuePolicy, handling_seconds: float, cache_seconds: float
    ):
        self.db, self.policy = db, policy
        self.handling_seconds = handling_seconds  # assumed, with the wrap-up: the fallback
        self.cache_seconds = cache_seconds
        self._cache: tuple[float, list[QueueWait]] | None = None
        self._lock = threading.Lock()

    def public(self, now: datetime) -> list[QueueWait]:
        """Every region's queues, read at most once per `cache_seconds` (real time)."""
        with self._lock:
            if self._cache is not None and time.monotonic() - self._cache[0] < self.cache_seconds:
                return self._cache[1]
            waits = self._read_all(now)
            self._cache = (time.monotonic(), waits)
            return waits

    def place(self, contact_id: uuid.UUID, now: datetime) -> Place:
        with Session(self.db.engine) as session:
            entry = session.get(QueueEntry, contact_id)
            if entry is None:
                raise NotFound("no such contact in any queue")
            ahead = session.exec(_ahead_of(entry)).one() if entry.status == "waiting" else 0
            live = _read(session, now, entry.region)
        queue, channel = QueueName(entry.queue), Channel(entry.channel)
        status = ContactStatus(entry.status)
        received = utc(entry.received_at)
        due = received + self.policy.written_target if channel.is_written else None
        place = Place(
            contact_id, status, Region(entry.region), queue, channel, None, None, None, due
        )
        if status != ContactStatus.WAITING:
            return place
        position, estimate = ahead + 1, None
        opens_at = self.policy.next_opening(queue, now)
        if opens_at == now or not channel.is_written:  # a written one waits for the opening
            opens_at = None
            estimate = estimate_wait(position, self._load(live, entry.region, queue))
        return Place(
            contact_id, status, place.region, queue, channel, position, estimate, opens_at, due
        )

    # --- reading -----------------------------------------------------------------------------
    def _read_all(self, now: datetime) -> list[QueueWait]:
        with Session(self.db.engine) as session:
            live = _read(session, now)
        return [self._queue(live, region, queue, now) for region in Region for queue in QueueName]

    def _queue(self, live: _Live, region: Region, queue: QueueName, now: datetime) -> QueueWait:
        counts = {c: live.waiting[(region.value, queue.value, c.value)] for c in QUEUED_CHANNELS}
        waiting = sum(counts.values())
        opens_at = self.policy.next_opening(queue, now)
        is_open = opens_at == now
        estimate = None
        if is_open:
            estimate = estimate_wait(waiting + 1, self._load(live, region.value, queue))
        target = self.policy.written_target.total_seconds()
        channels = {
            channel: ChannelWait(
                waiting=counts[channel],
                estimated_wait_seconds=estimate,
                open=is_open,
                opens_at=None if is_open else opens_at,
                target_seconds=target if channel.is_written else None,
            )
            for channel in QUEUED_CHANNELS
        }
        return QueueWait(
            region, queue, waiting, is_open, estimate, None if is_open else opens_at, channels
        )

    def _load(self, live: _Live, region: str, queue: QueueName) -> QueueLoad:
        key = (region, queue.value)
        return QueueLoad(
            answered_recently=live.answered[key],
            staffed=live.staffed[key],
            ready=live.ready[key],
            handling_seconds=self.handling_seconds,
            abandoned_recently=live.abandoned[key],
        )


def _read(session: Session, now: datetime, region: str | None = None) -> _Live:
    """The waiting contacts, the departures of the last RATE_WINDOW and the operators on duty,
    of one region or all."""
    since = now - RATE_WINDOW
    entry = QueueEntry

    def mine(column: Any) -> ColumnElement[bool]:
        return true() if region is None else column == region

    waiting = session.exec(
        select(entry.region, entry.queue, entry.channel, func.count())
        .where(entry.status == "waiting", mine(entry.region))
        .group_by(col(entry.region), col(entry.queue), col(entry.channel))
    ).all()
    answered = _departures(session, col(entry.answered_at), since, now, mine(entry.region))
    abandoned = _departures(session, col(entry.abandoned_at), since, now, mine(entry.region))
    staffed: Counter[Key] = Counter()
    ready: Counter[Key] = Counter()
    operators = session.exec(
        select(Operator.region, Operator.status, Operator.skills).where(
            col(Operator.status).in_([s.value for s in ON_DUTY]), mine(Operator.region)
        )
    ).all()
    for op_region, status, skills in operators:
        for queue in [s for s in skills.split(",") if s] or [q.value for q in QueueName]:
            staffed[(op_region, queue)] += 1
            ready[(op_region, queue)] += status == OperatorStatus.READY
    return _Live(
        Counter({(r, q, c): n for r, q, c, n in waiting}), answered, abandoned, staffed, ready
    )


def _departures(
    session: Session, at: Any, since: datetime, now: datetime, where: ColumnElement[bool]
) -> Counter[Key]:
    rows = session.exec(
        select(QueueEntry.region, QueueEntry.queue, func.count())
        .where(at >= since, at <= now, where)
        .group_by(col(QueueEntry.region), col(QueueEntry.queue))
    ).all()
    return Counter({(r, q): n for r, q, n in rows})


def _ahead_of(entry: QueueEntry) -> Any:
    """How many wait before `entry` in its region's queue (the order take-next serves)."""
    return select(func.count()).where(
        QueueEntry.status == "waiting",
        QueueEntry.region == entry.region,
        QueueEntry.queue == entry.queue,
        or_(
            col(QueueEntry.rank_at) < entry.rank_at,
            and_(
                col(QueueEntry.rank_at) == entry.rank_at,
                col(QueueEntry.received_at) < entry.received_at,
            ),
        ),
    )
