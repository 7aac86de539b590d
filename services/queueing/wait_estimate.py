"""Estimated wait from the live queue and its service rate (no I/O; method in docs/queues.md).

A waiting contact at position p (1: next) of a region's queue, with r operators ready now,
waits for the (p - r)-th operator to free up. Operators free up at the queue's service rate
mu (contacts per second), so the estimate is

    wait(p) = 0                  when p <= r (a ready operator takes it at once)
    wait(p) = (p - r) / mu       otherwise

mu is measured, not assumed: the contacts that left this queue in the last `RATE_WINDOW`
(answered, or hung up and timed out: both move those behind them up) divided by its length.
The queue's own throughput already holds how many operators serve it, how long they handle
and wrap up, and what else they take. With too few answers to measure (a quiet hour, the
first minutes after opening) it falls back to the staffed operators over the assumed
handling time (an M/M/n queue with every server busy frees one every AHT/n seconds on
average: the position-times-handling-time over operators rule of contact-centre platforms).
With no one staffed there is no estimate (None).
"""

from dataclasses import dataclass
from datetime import timedelta

RATE_WINDOW = timedelta(minutes=15)
MIN_ANSWERS = 5  # fewer answered in the window: the staffing gives the rate


@dataclass(frozen=True)
class QueueLoad:
    """What the estimate reads of one region's queue now."""

    answered_recently: int  # answered within RATE_WINDOW up to now
    staffed: int  # signed in, taking this queue, not paused
    ready: int  # of them, ready for a contact now
    handling_seconds: float  # the assumed mean handling time (with wrap-up), for the fallback
    abandoned_recently: int = 0  # hung up or timed out within RATE_WINDOW
    window_seconds: float = RATE_WINDOW.total_seconds()


def service_rate(load: QueueLoad) -> float | None:
    """Contacts per second the queue is served at; None when nobody serves it."""
    if load.answered_recently >= MIN_ANSWERS:
        return (load.answered_recently + load.abandoned_recently) / load.window_seconds
    if load.staffed > 0:
        return load.staffed / load.handling_seconds
    return None


def estimate_wait(position: int, load: QueueLoad) -> float | None:
    """Seconds until the contact at `position` (1: next) is offered; None: no estimate."""
    if position < 1:
        raise ValueError("positions start at 1")
    if position <= load.ready:
        return 0.0
    rate = service_rate(load)
    if rate is None:
        return None
    return (position - load.ready) / rate
