"""Queue rules, free of I/O.

Ordering with aging: each contact gets a rank time = received_at + priority x AGING_STEP, and
queues are served by the earliest rank. One priority level is worth AGING_STEP of waiting, so a
priority-1 tip jumps ahead of fresh priority-5 questions, yet a question that has waited
4 x AGING_STEP longer than a new tip is served first: nothing starves.
"""

from datetime import datetime, timedelta

from schemas import Classified, NeedCategory, QueueName, Route

AGING_STEP = timedelta(minutes=2)

QUEUED_ROUTES = frozenset({Route.OPERATOR, Route.SWITCHBOARD, Route.RECEPTION_BOOKING})


class QueueError(Exception):
    """A request the queue rules refuse; the message is shown to the caller (4xx)."""


class NotFound(QueueError):
    pass


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


def rank_time(received_at: datetime, priority: int) -> datetime:
    return received_at + priority * AGING_STEP


def wait_seconds(received_at: datetime, now: datetime) -> float:
    return max(0.0, (now - received_at).total_seconds())
