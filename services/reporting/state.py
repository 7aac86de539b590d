"""What reporting keeps about one region besides its buckets, as plain data for a table."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas import (
    Abandoned,
    Answered,
    ContactResolved,
    OperatorPresenceChanged,
    Queued,
    ReinforcementEnded,
    ReinforcementOrdered,
    SlaWindow,
    Transferred,
)
from schemas.envelope import Event
from services.reporting.positions import Position, Taken
from services.reporting.window import (
    MAIN,
    Buckets,
    WindowConfig,
    add_to_totals,
    counts_for,
    minute_of,
    sla_window,
    totals,
    window_of,
)

EWMA_WEIGHT = 0.05  # each new handling time or patience moves the estimate by 5 %
DEFAULT_HANDLING_SECONDS = 360.0  # until the region has its own figure (AHT 6 min)


@dataclass
class RegionMeta:
    latest: int = 0  # newest event minute: the region's event-time watermark
    late: int = 0  # events older than retention: counted here, not silently lost
    # Counted calls (phone) offered in service hours and still waiting, by the minute they
    # arrived: the input of a predicted breach. Keys are str for JSON.
    waiting: dict[str, int] = field(default_factory=dict)
    operators: list[str] = field(default_factory=list)  # logged in and not paused
    handling_seconds: float | None = None
    patience_seconds: float | None = None
    in_breach: bool = False  # a breach episode is open
    low_volume: bool = False  # too few handled calls in the window to judge
    episode_id: str | None = None
    predicted: bool = False
    last_status_minute: int = 0
    dimensions: list[str] = field(default_factory=list)
    orders: dict[str, str] = field(default_factory=dict)  # standing orders: id -> until (ISO)
    trend: list[float | None] = field(default_factory=list)  # share at each step, newest last
    taken: Taken = field(default_factory=dict)  # input positions taken in (positions.py)
    epoch: str = ""  # the id of the first event this state took in: see breach.episode_for
    episodes: int = 0  # breach episodes opened
    predictions: int = 0  # breaches predicted
    # The latest decisions worth an alert, each with the position that made it: a replay of
    # that position sends them again (their ids are derived, so receivers drop a repeat).
    decided: list[list[Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: every field is already JSON-shaped, and a deep copy per event
        # cost more than the rest of the event's handling.
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "RegionMeta":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


class RegionState:
    """One region's state over its meta and its buckets; every rule here is pure."""

    def __init__(self, meta: RegionMeta, buckets: Buckets, config: WindowConfig):
        self.meta = meta
        self.buckets = buckets
        self.config = config
        # The main window's totals at `meta.latest`, kept up to date by apply(): summing the
        # window's buckets on every event cost more than all the rest of an event's handling.
        self._main: tuple[int, list[int]] | None = None
        self._dropped_to: int | None = None  # replays only: see _drop_again

    def apply(self, event: Event, at: Position | None = None) -> bool:
        """Takes in one deduplicated event; True when a window count changed.

        `at` is the event's input position: an event replayed after a crash changes only the
        records (the meta, its minute's bucket) that have not taken it in (positions.py)."""
        meta = self.meta
        news_for_meta = at is None or not at.taken_by(meta.taken)
        if news_for_meta:
            meta.epoch = meta.epoch or str(event.event_id)
            if at is not None:
                at.mark(meta.taken)
            if self._apply_standing(event):
                return False
            self._track_waiting(event)
        pairs = counts_for(event, self.config)
        if not pairs:
            return False
        minute = minute_of(event.occurred_at)
        if meta.latest and minute <= meta.latest - self.config.retention_minutes:
            if news_for_meta:
                meta.late += 1
            return False
        if not news_for_meta:
            self._drop_again(minute)
        news_for_bucket = self.buckets.add(minute, pairs, at)
        if news_for_meta:
            for dimension, _ in pairs:
                if dimension not in meta.dimensions:
                    meta.dimensions.append(dimension)
            if minute > meta.latest:
                self._advance(minute)
                self._main = None  # summed afresh at most once per minute of event time
                return news_for_bucket
        in_window = minute > meta.latest - self.config.length_minutes
        if news_for_bucket and self._main is not None and in_window:
            add_to_totals(self._main[1], pairs)
        return news_for_bucket

    def _apply_standing(self, event: Event) -> bool:
        """Presence, orders and handling times: the meta only. True when `event` was one."""
        meta = self.meta
        if isinstance(event, OperatorPresenceChanged):
            present = set(meta.operators)
            if event.status == "available":
                present.add(event.operator_id)
            else:
                present.discard(event.operator_id)
            meta.operators = sorted(present)
        elif isinstance(event, ReinforcementOrdered):
            meta.orders[str(event.order_id)] = event.until.isoformat()
        elif isinstance(event, ReinforcementEnded):
            meta.orders.pop(str(event.order_id), None)
        elif isinstance(event, ContactResolved | Transferred):
            # A transfer ends the first operator's work on the call: handling, as an outcome.
            if event.handling_seconds:
                meta.handling_seconds = _ewma(meta.handling_seconds, event.handling_seconds)
        else:
            return False
        return True

    def _track_waiting(self, event: Event) -> None:
        if not isinstance(event, Queued | Answered | Abandoned):
            return
        policy = self.config.policy
        if not policy.counts_channel(event.channel) or not policy.within_hours(event.received_at):
            return
        key = str(minute_of(event.received_at))
        waiting = self.meta.waiting
        if isinstance(event, Queued):
            waiting[key] = waiting.get(key, 0) + 1
            return
        if waiting.get(key, 0) > 0:
            waiting[key] -= 1
            if waiting[key] == 0:
                del waiting[key]
        real_abandon = isinstance(event, Abandoned) and event.reason == "hung_up"
        if real_abandon and not policy.is_short_abandon(event.wait_seconds):
            self.meta.patience_seconds = _ewma(self.meta.patience_seconds, event.wait_seconds)

    def _advance(self, minute: int) -> None:
        """Moves the watermark; buckets that fall out of retention are dropped. They can only
        be in [previous - retention + 1, previous], so this costs at most `retention` steps
        however far event time jumps (a replay of a past month)."""
        retention, previous = self.config.retention_minutes, self.meta.latest
        keep_from = minute - retention + 1
        if previous:
            for old in range(previous - retention + 1, min(keep_from, previous + 1)):
                self.buckets.drop(old)
        self.meta.latest = minute
        horizon = keep_from - 1
        self.meta.waiting = {k: n for k, n in self.meta.waiting.items() if int(k) > horizon}

    def _drop_again(self, minute: int) -> None:
        """A replayed event's meta had landed, and with it the watermark it moved; the bucket
        drops that move made may not have. Drops them again: the first replayed event a whole
        retention below its own (it cannot know the watermark before it), the next ones the
        minutes since. Only minutes the meta has let go of already are touched."""
        retention = self.config.retention_minutes
        keep_from = minute - retention + 1
        start = self._dropped_to if self._dropped_to is not None else keep_from - retention
        for old in range(start, keep_from):
            self.buckets.drop(old)
        self._dropped_to = max(start, keep_from)

    def window(self, dimension: str = MAIN) -> SlaWindow:
        if dimension != MAIN:
            return sla_window(self.buckets, self.meta.latest, self.config, dimension)
        end = self.meta.latest
        if self._main is None or self._main[0] != end:
            self._main = (end, totals(self.buckets, end, self.config))
        return window_of(list(self._main[1]), end, self.config)

    def waiting_past(self, threshold: float, horizon: float, now: datetime) -> tuple[int, int]:
        """Calls waiting at `now` past `threshold` seconds, and those that pass it within
        `horizon` seconds more (the prediction's two counts): one walk over the waiting
        minutes, which the decisions read at every event."""
        passing_now = now.timestamp() - threshold  # arrived then or before: past the threshold
        past_cutoff = passing_now // 60
        soon_cutoff = (passing_now + horizon) // 60
        past = by_horizon = 0
        for key, waiting in self.meta.waiting.items():
            minute = int(key)
            if minute <= past_cutoff:
                past += waiting
            if minute <= soon_cutoff:
                by_horizon += waiting
        return past, by_horizon - past

    def arrivals_per_hour(self, window: SlaWindow | None = None) -> float:
        offered = (window or self.window()).offered
        return offered * 60.0 / self.config.length_minutes

    def handling(self) -> float:
        return self.meta.handling_seconds or DEFAULT_HANDLING_SECONDS


def _ewma(current: float | None, sample: float) -> float:
    return sample if current is None else current + EWMA_WEIGHT * (sample - current)
