"""A region's rolling window: one-minute buckets of counts, on event time, summed on read.

Each bucket keeps separate counts so every service-level formula in use can be derived. The
default share is answered within 600 s / (answered + abandoned after the short-abandon limit),
counting phone contacts to PKC offered 07:00-20:00 Stockholm time.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import Abandoned, Answered, Channel, Queued, SlaWindow
from schemas.envelope import Event
from services.reporting.service_hours import within_service_hours

ANSWER_TARGET_SECONDS = 600.0
COUNTS = (
    "offered",
    "answered_within",
    "answered_late",
    "abandoned_short",
    "abandoned_within",
    "abandoned_late",
    "outside_hours",
)


@dataclass(frozen=True)
class WindowConfig:
    length: timedelta = timedelta(minutes=60)
    step: timedelta = timedelta(minutes=1)
    short_abandon_seconds: float = 5.0
    grace: timedelta = timedelta(minutes=10)  # late events within this are still counted

    @property
    def retention(self) -> timedelta:
        return self.length + self.grace


def minute_of(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


@dataclass
class RegionWindow:
    """The mutable state of one region; stored in the Faust table as a plain dict."""

    buckets: dict[int, list[int]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # event_id -> minute, for dedupe
    latest: int = 0  # newest event minute seen: the region's event-time watermark
    late: int = 0  # events older than retention: counted here, not silently lost
    in_breach: bool = False
    episode_id: str | None = None
    last_status_minute: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "buckets": {str(k): v for k, v in self.buckets.items()},
            "seen": self.seen,
            "latest": self.latest,
            "late": self.late,
            "in_breach": self.in_breach,
            "episode_id": self.episode_id,
            "last_status_minute": self.last_status_minute,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "RegionWindow":
        if not data:
            return cls()
        return cls(
            buckets={int(k): list(v) for k, v in data.get("buckets", {}).items()},
            seen=dict(data.get("seen", {})),
            latest=int(data.get("latest", 0)),
            late=int(data.get("late", 0)),
            in_breach=bool(data.get("in_breach", False)),
            episode_id=data.get("episode_id"),
            last_status_minute=int(data.get("last_status_minute", 0)),
        )

    def record(self, event: Event, config: WindowConfig) -> bool:
        """Counts one event; False when it was a duplicate, irrelevant or too late."""
        counted = classify(event, config)
        if counted is None:
            return False
        key = str(event.event_id)
        if key in self.seen:
            return False
        minute = minute_of(event.occurred_at)
        retention = int(config.retention.total_seconds()) // 60
        if self.latest and minute < self.latest - retention:
            self.late += 1
            return False
        bucket = self.buckets.setdefault(minute, [0] * len(COUNTS))
        bucket[COUNTS.index(counted)] += 1
        self.seen[key] = minute
        if minute > self.latest:
            self.latest = minute
            self._prune(minute - retention)
        return True

    def _prune(self, oldest: int) -> None:
        self.buckets = {m: c for m, c in self.buckets.items() if m >= oldest}
        self.seen = {e: m for e, m in self.seen.items() if m >= oldest}

    def window(self, config: WindowConfig, end_minute: int | None = None) -> SlaWindow:
        end = end_minute if end_minute is not None else self.latest
        length = int(config.length.total_seconds()) // 60
        totals = [0] * len(COUNTS)
        for minute, counts in self.buckets.items():
            if end - length < minute <= end:
                totals = [a + b for a, b in zip(totals, counts, strict=True)]
        named = dict(zip(COUNTS, totals, strict=True))
        handled = (
            named["answered_within"]
            + named["answered_late"]
            + named["abandoned_within"]
            + named["abandoned_late"]
        )
        share = named["answered_within"] / handled if handled else None
        return SlaWindow(
            start=_at(end - length + 1),
            end=_at(end + 1),
            offered=named["offered"],
            answered_within=named["answered_within"],
            answered_late=named["answered_late"],
            abandoned=named["abandoned_within"]
            + named["abandoned_late"]
            + named["abandoned_short"],
            share=share,
        )


def _at(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def classify(event: Event, config: WindowConfig) -> str | None:
    """Which count an event adds to, by the default formula's scope; None if out of scope."""
    if not isinstance(event, Queued | Answered | Abandoned) or event.channel != Channel.PHONE:
        return None
    if not within_service_hours(event.received_at):
        return "outside_hours" if isinstance(event, Queued) else None
    if isinstance(event, Queued):
        return "offered"
    if isinstance(event, Answered):
        return "answered_within" if event.wait_seconds <= ANSWER_TARGET_SECONDS else "answered_late"
    if event.wait_seconds <= config.short_abandon_seconds:
        return "abandoned_short"
    if event.wait_seconds <= ANSWER_TARGET_SECONDS:
        return "abandoned_within"
    return "abandoned_late"
