"""Queue rules, free of I/O.

Ordering with aging: each contact gets a rank time = received_at + priority x AGING_STEP, and
queues are served by the earliest rank. One priority level is worth AGING_STEP of waiting, so a
priority-1 tip jumps ahead of fresh priority-5 questions, yet a question that has waited
4 x AGING_STEP longer than a new tip is served first: nothing starves. A contact triage flagged
as a possible emergency jumps its queue: it is served before every other waiting contact.

Reinforcement: while an order stands, up to k operators of each donor region are lent to the
reinforced region. A lent operator taking the next contact gets the reinforced region's contact
that has waited longest (earliest received_at), and only when that queue is empty one of their
own region's. Operators are lent lazily, the first k of a donor region to ask.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from domain.service_level import ServiceLevelPolicy
from schemas import Channel, Classified, NeedCategory, QueueName, Region, Route
from services.queueing.opening import (
    OpeningHours,
    QueueCalendar,
    SpecialDays,
    parse_opening_hours,
)

__all__ = ["OpeningHours", "SpecialDays", "parse_opening_hours"]  # their home: opening.py

AGING_STEP = timedelta(minutes=2)
# A possible emergency (triage's flag) is ranked this far ahead of its receipt: before anything
# that can still be waiting, written contacts held over a long weekend included.
FLAGGED_AHEAD = timedelta(days=365)
QUEUED_ROUTES = frozenset({Route.OPERATOR, Route.SWITCHBOARD, Route.RECEPTION_BOOKING})


@dataclass(frozen=True)
class Actor:
    """Who did something, as the audit names them: a person's user name and their token's
    subject, or a service acting on its own (its name twice)."""

    name: str
    subject: str

    @classmethod
    def service(cls, name: str) -> "Actor":
        return cls(name, name)


@dataclass(frozen=True)
class AuditQuery:
    """Which audit rows a reader asks for (None: any)."""

    person: str | None = None
    region: Region | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


class QueueError(Exception):
    """A request the queue rules refuse; the message is shown to the caller (4xx)."""


class NotFound(QueueError):
    pass


class Forbidden(QueueError):
    pass


class IllegalMove(QueueError):
    """A contact asked to move where its state machine does not go from where it is."""


class Outcome(StrEnum):
    REPORT_FILED = "report_filed"  # creates a case
    SENT_TO_E_SERVICE = "sent_to_e_service"
    INFORMATION_GIVEN = "information_given"
    TRANSFERRED = "transferred"
    REDIRECTED_TO_112 = "redirected_to_112"
    NO_ACTION = "no_action"  # nothing for the police to do (a wrong number, a silent call)


class ContactStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # reserved for one operator's desk until accepted, rejected or timed out
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    ABANDONED = "abandoned"


class OperatorStatus(StrEnum):
    """An operator's presence (the desk's states; rules in services/queueing/presence.py)."""

    READY = "ready"
    OFFERED = "offered"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"
    SIGNED_OUT = "signed_out"
    # The names before the desk's presence, for code that still counts by them.
    AVAILABLE = "ready"
    OFFLINE = "signed_out"

    @classmethod
    def _missing_(cls, value: object) -> "OperatorStatus | None":
        """A row written before the desk's release (its UPDATE in docs/operations.md not yet
        run) still reads: 'available' is ready, 'offline' signed out."""
        return {"available": cls.READY, "offline": cls.SIGNED_OUT}.get(str(value))


def needs_queue(classified: Classified) -> bool:
    """Nöd goes to 112 and e-service matters become cases: only the rest waits for an operator."""
    return classified.route in QUEUED_ROUTES


def queue_for(classified: Classified) -> QueueName:
    if classified.route in (Route.SWITCHBOARD, Route.RECEPTION_BOOKING):
        return QueueName.SWITCHBOARD
    if classified.category == NeedCategory.URGENT:
        return QueueName.URGENT
    if classified.category == NeedCategory.INFORMATION:
        return QueueName.SWITCHBOARD
    return QueueName.CRIME_REPORT


def rank_time(received_at: datetime, priority: int, possible_emergency: bool = False) -> datetime:
    if possible_emergency:
        return received_at - FLAGGED_AHEAD
    return received_at + priority * AGING_STEP


def wait_seconds(received_at: datetime, now: datetime) -> float:
    return max(0.0, (now - received_at).total_seconds())


ClosedOutcome = Literal["close", "queue"]


@dataclass(frozen=True)
class QueuePolicy:
    """When each queue is open (its daily hours, Swedish holidays and configured special days:
    opening.py), what a contact arriving while it is closed gets, and how long a written one
    (mail, e-service, social media) may take: it is never turned away nor timed out, it waits
    across closing hours for the next opening."""

    opening_hours: dict[QueueName, OpeningHours]
    closed_outcome: ClosedOutcome = "close"
    special_days: SpecialDays = field(default_factory=SpecialDays)
    written_target: timedelta = timedelta(hours=24)

    @classmethod
    def build(
        cls,
        spec: str,
        closed_outcome: ClosedOutcome,
        service_level: ServiceLevelPolicy,
        special_days: str = "",
        written_target: timedelta = timedelta(hours=24),
    ) -> "QueuePolicy":
        default = OpeningHours.of_service_level(service_level)
        special = SpecialDays.parse(special_days, default.zone)
        return cls(parse_opening_hours(spec, default), closed_outcome, special, written_target)

    def calendar(self, queue: QueueName) -> QueueCalendar:
        return QueueCalendar(queue, self.opening_hours[queue], self.special_days)

    def is_open(self, queue: QueueName, moment: datetime) -> bool:
        return self.calendar(queue).is_open(moment)

    def next_opening(self, queue: QueueName, moment: datetime) -> datetime | None:
        """`moment` when open then, else when the queue opens next (None: not within a year)."""
        return self.calendar(queue).next_opening(moment)

    def open_queues(self, moment: datetime) -> list[QueueName]:
        return [queue for queue in QueueName if self.is_open(queue, moment)]

    def turns_away(self, channel: Channel) -> bool:
        """Whether a contact arriving while its queue is closed is turned away: a call when so
        configured, never a written contact (it waits for the next opening)."""
        return self.closed_outcome == "close" and not channel.is_written


@dataclass(frozen=True)
class OperatorOnDuty:
    """The operator asking for a contact, as take-next needs them."""

    status: OperatorStatus
    region: Region
    skills: list[str]
    holds_a_contact: bool
    may_be_lent: bool  # an order stands, or they are lent already


# Take-next (the pull API of the simulation and of integrations) serves an operator who is
# ready, wrapping up (taking the next ends the wrap-up) or busy (it may take the next before
# recording the last one's outcome, as before the desk). One with an offer on their desk
# accepts or rejects it first; a paused one resumes first.
TAKING = frozenset({OperatorStatus.READY, OperatorStatus.WRAP_UP, OperatorStatus.BUSY})


def check_can_take(operator: OperatorOnDuty | None) -> OperatorOnDuty:
    """The operator, if they may take a contact (the next one, or the one they hold already);
    refuses with the reason otherwise."""
    if operator is None or operator.status == OperatorStatus.SIGNED_OUT:
        raise NotFound("unknown operator")
    if operator.status == OperatorStatus.OFFERED:
        raise QueueError("an offer is on your desk: accept or reject it first")
    if operator.status not in TAKING:
        raise QueueError(f"operator is {operator.status.value}; resume before taking contacts")
    return operator
