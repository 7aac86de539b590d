"""A region's rolling window: one-minute buckets of counts per dimension, on event time.

Each bucket keeps separate counts so every service-level formula in use can be derived. The
default share (dimension "all") is the service-level policy's: answered within the threshold /
(answered + abandoned after the short-abandon limit), counting the policy's channels (phone)
received within its service hours. Dimensions "channel:<c>" count every channel in service
hours; "category:<c>" count the counted channels in service hours by need category; "callback"
counts callbacks (virtual hold) again, beside the share they are in as the calls they came from
(docs/queues.md): "offered" is a request in service hours, then how each ended.

Every count is of what happened in the window, by the event's own time: "offered" counts
contacts that joined the queue in the window, "answered_within" answers given in it, whose calls
may have been offered before it began. So a window can hold more answers than offers.

Buckets live one per (region, minute) in a key-value store (a Faust table in the service, a
dict in tests), so an event rewrites one small bucket and windows are summed on read.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Protocol

from domain.service_level import NATIONAL, ServiceLevelPolicy
from schemas import Abandoned, Answered, CallbackRequested, Queued, RedirectedTo112, SlaWindow
from schemas.enums import Channel, NeedCategory
from schemas.envelope import Event
from services.reporting.positions import Position, Taken

# A bucket's counts, in this order (window_of unpacks the first six by position).
COUNTS = (
    "offered",
    "answered_within",
    "answered_late",
    "abandoned_short",
    "abandoned_within",
    "abandoned_late",
    "redirected_112",
    "outside_hours",
)
_INDEX = {name: i for i, name in enumerate(COUNTS)}
MAIN = "all"
_QUEUE_EVENTS = (Queued, Answered, Abandoned)
# Dimension names made once, not for every counted event (a replay counts millions).
_CHANNEL_DIMENSION = {channel: f"channel:{channel}" for channel in Channel}
_CATEGORY_DIMENSION = {category: f"category:{category}" for category in NeedCategory}
CALLBACK = "callback"
Bucket = dict[str, list[int]]  # dimension -> counts in COUNTS order


@dataclass(frozen=True)
class WindowConfig:
    length: timedelta = timedelta(minutes=60)
    step: timedelta = timedelta(minutes=1)
    policy: ServiceLevelPolicy = NATIONAL  # what counts, and the threshold
    grace: timedelta = timedelta(minutes=10)  # late events within this are still counted

    # Read for every counted event: computed once (a frozen dataclass keeps it in its __dict__).
    @cached_property
    def length_minutes(self) -> int:
        return int(self.length.total_seconds()) // 60

    @cached_property
    def retention_minutes(self) -> int:
        return int((self.length + self.grace).total_seconds()) // 60


class Buckets(Protocol):
    """Minute buckets, each stored with the input positions it has taken in (positions.py)."""

    def get(self, minute: int) -> Bucket | None: ...
    def add(self, minute: int, pairs: list[tuple[str, str]], at: Position | None = None) -> bool:
        """Adds an event's (dimension, count) pairs to the minute's bucket and marks `at`
        taken in, both in one record; False, changing nothing, when the bucket has taken `at`
        in already (a replay)."""
        ...

    def drop(self, minute: int) -> None: ...


class DictBuckets:
    def __init__(self) -> None:
        self.data: dict[int, Bucket] = {}
        self.taken: dict[int, Taken] = {}

    def get(self, minute: int) -> Bucket | None:
        return self.data.get(minute)

    def add(self, minute: int, pairs: list[tuple[str, str]], at: Position | None = None) -> bool:
        if at is not None:
            taken = self.taken.setdefault(minute, {})
            if at.taken_by(taken):
                return False
            at.mark(taken)
        add_to_bucket(self.data.setdefault(minute, {}), pairs)
        return True

    def drop(self, minute: int) -> None:
        self.data.pop(minute, None)
        self.taken.pop(minute, None)


def minute_of(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


@lru_cache(maxsize=256)  # a window's ends and the step's moment: the same few minutes per event
def at_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def counts_for(event: Event, config: WindowConfig) -> list[tuple[str, str]]:
    """(dimension, count) pairs an event adds to; empty when it is out of every scope."""
    if isinstance(event, _QUEUE_EVENTS):  # nearly every counted event: asked first
        return _queue_counts(event, config.policy)
    if isinstance(event, RedirectedTo112):
        return [(MAIN, "redirected_112"), (_CHANNEL_DIMENSION[event.channel], "redirected_112")]
    if isinstance(event, CallbackRequested):
        return [(CALLBACK, "offered")] if config.policy.within_hours(event.occurred_at) else []
    return []


def _queue_counts(
    event: Queued | Answered | Abandoned, policy: ServiceLevelPolicy
) -> list[tuple[str, str]]:
    if not policy.within_hours(event.received_at):
        return [(MAIN, "outside_hours")] if isinstance(event, Queued) else []
    count = _outcome(event, policy)
    pairs = [(_CHANNEL_DIMENSION[event.channel], count)]
    if policy.counts_channel(event.channel):
        pairs += [(MAIN, count), (_CATEGORY_DIMENSION[event.category], count)]
    if _called_back(event):
        pairs.append((CALLBACK, count))
    return pairs


def _called_back(event: Queued | Answered | Abandoned) -> bool:
    if isinstance(event, Answered):
        return event.callback
    return isinstance(event, Abandoned) and event.reason == "callback_unanswered"


def _outcome(event: Queued | Answered | Abandoned, policy: ServiceLevelPolicy) -> str:
    if isinstance(event, Queued):
        return "offered"
    in_time = policy.answered_in_time(event.wait_seconds)
    if isinstance(event, Answered):
        return "answered_within" if in_time else "answered_late"
    if policy.is_short_abandon(event.wait_seconds):
        return "abandoned_short"
    return "abandoned_within" if in_time else "abandoned_late"


def add_to_bucket(bucket: Bucket, pairs: list[tuple[str, str]]) -> None:
    for dimension, count in pairs:
        bucket.setdefault(dimension, [0] * len(COUNTS))[_INDEX[count]] += 1


def add_to_totals(summed: list[int], pairs: list[tuple[str, str]]) -> None:
    """Adds an event's main-dimension count to a window's totals."""
    for dimension, count in pairs:
        if dimension == MAIN:
            summed[_INDEX[count]] += 1


def totals(buckets: Buckets, end: int, config: WindowConfig, dimension: str = MAIN) -> list[int]:
    summed = [0] * len(COUNTS)
    for minute in range(end - config.length_minutes + 1, end + 1):
        counts = (buckets.get(minute) or {}).get(dimension)
        if counts is not None:
            summed = [a + b for a, b in zip(summed, counts, strict=True)]
    return summed


def sla_window(
    buckets: Buckets, end: int, config: WindowConfig, dimension: str = MAIN
) -> SlaWindow:
    return window_of(totals(buckets, end, config, dimension), end, config)


def window_of(summed: list[int], end: int, config: WindowConfig) -> SlaWindow:
    offered, within, late, short, abandoned_within, abandoned_late, *_ = summed  # COUNTS order
    handled = within + late + abandoned_within + abandoned_late
    return SlaWindow(
        start=at_minute(end - config.length_minutes + 1),
        end=at_minute(end + 1),
        offered=offered,
        answered_within=within,
        answered_late=late,
        abandoned=short + abandoned_within + abandoned_late,
        share=within / handled if handled else None,
    )
