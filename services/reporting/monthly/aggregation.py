"""What one event adds to the monthly figures: counter increments keyed by (region, month,
metric, key), or a fact about a reinforcement order. Pure; the store applies it.

The service-level counts are the rolling window's own (`window.counts_for`), so the monthly
share has the same scope and formula, the service-level policy's: the counted channels (phone)
received within service hours, answered within the threshold / (answered + abandoned after the
short-abandon limit).

Written channels (mail, e-service, social media) are not calls: nobody hangs up, and a letter
may wait across closing hours. Their per-channel counts ("sl:written:<channel>") take every
hour and their own threshold (handled within 24 hours by default), not the calls'. A citizen's
rating (ContactRated) counts per channel and score in the month of the rated contact.
"""

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from domain.service_level import NATIONAL, ServiceLevelPolicy
from schemas import (
    Abandoned,
    Answered,
    Classified,
    Queued,
    RedirectedTo112,
    ReinforcementEnded,
    ReinforcementOrdered,
)
from schemas.envelope import Event
from schemas.ratings import ContactRated
from services.reporting.monthly.figures import bucket_of, wait_ms
from services.reporting.monthly.months import hour_of, month_of_hour
from services.reporting.window import MAIN, WindowConfig, counts_for

# Metrics: "sl:<dimension>" -> the window's counts by name; the rest are named here.
SL = "sl:"
CONTACTS = "contacts"  # key "<channel>|<category>": every contact, any hour
E_SERVICE_CAPABLE = "e_service_capable"  # same keys: contacts an e-service could have taken
ROUTE = "route"  # key: the route triage chose
WAIT = "wait"  # key: the 10-second bucket of an answered wait (counted, in service hours)
WAIT_MS = "wait_ms"  # key "sum": those waits' total in milliseconds
WRITTEN = "written:"  # dimension prefix: a written channel's counts against its own target
RATING = "rating"  # key "<channel>|<score>": ratings given
COMMENTED = "rating_commented"  # key "<channel>": ratings that came with a comment
WRITTEN_THRESHOLD_SECONDS = 24 * 3600.0

# region, month, metric, key. Keys take an enum's value as str(member): every enum here is a
# StrEnum, whose str() is its value at a quarter of `.value`'s cost (millions in a replay).
CountKey = tuple[str, str, str, str]
# Events of a contact: counted in the month of its receipt, remembered by its hour.
_CONTACT_EVENTS = (Classified, Queued, Answered, Abandoned, RedirectedTo112, ContactRated)


@dataclass(frozen=True)
class OrderFact:
    """What one order event says; None fields are left as they are in the store."""

    order_id: uuid.UUID
    region: str
    donors: str | None = None  # "syd:3,ost:2"
    started: datetime | None = None
    until: datetime | None = None
    ended: datetime | None = None


class EventKey(NamedTuple):
    """What the store remembers a counted event by. The hour its contact was received in leads:
    events come roughly in that order, so a batch's ids go into the few hours' end of the
    store's index instead of pages all over it (a month of random ids alone cost SQLite 28 µs
    an id, in order 5).

    The receipt time, not the event's own: an event whose id derives from its cause may be
    built again, at another `occurred_at`, when the cause is read again (triage's Classified,
    queueing's Queued, intake's ContactRated), but it copies its contact's `received_at` from
    that cause. Order events have no contact: hour 0, a handful a month."""

    hour: int  # whole hours since the epoch of the contact's receipt
    event_id: uuid.UUID

    @classmethod
    def of(cls, event: Event) -> "EventKey":
        received = _receipt(event)
        return cls(0 if received is None else hour_of(received), event.event_id)


def _receipt(event: Event) -> datetime | None:
    """When the event's contact was received; None for events without a contact."""
    if not _has_receipt(type(event)):
        return None  # asking such a model for the field would raise (pydantic: ~2 µs)
    received = getattr(event, "received_at", None)
    return received if isinstance(received, datetime) else None


@functools.cache
def _has_receipt(kind: type[Event]) -> bool:
    return "received_at" in kind.model_fields


class Effect(NamedTuple):
    """What one event adds. A named tuple, not a dataclass: a replay makes millions, and a
    frozen dataclass costs about twice as much to build."""

    counts: tuple[tuple[CountKey, int], ...] = ()
    order: OrderFact | None = None


class Aggregation:
    """The counting rules of the service-level policy (the service passes its own)."""

    def __init__(
        self,
        policy: ServiceLevelPolicy = NATIONAL,
        written_threshold_seconds: float = WRITTEN_THRESHOLD_SECONDS,
    ):
        self.config = WindowConfig(policy=policy)
        self.written_threshold_seconds = written_threshold_seconds

    def effect(self, event: Event) -> Effect | None:
        """None for events the monthly figures do not count (they are not recorded either)."""
        counted = self.counted(event)
        return None if counted is None else counted[1]

    def counted(self, event: Event) -> tuple[EventKey, Effect] | None:
        """What the store remembers the event by (`EventKey.of`) and what it adds; None as
        `effect`. The receipt's hour is found once for both: a replay asks millions of times."""
        if isinstance(event, _CONTACT_EVENTS):
            hour = hour_of(event.received_at)
            month = month_of_hour(hour)
            if isinstance(event, Classified):
                effect: Effect | None = Effect(_classified(event, month))
            elif isinstance(event, ContactRated):
                effect = Effect(_rated(event, month))
            else:
                effect = self._queue_event(event, month)
            return None if effect is None else (EventKey(hour, event.event_id), effect)
        if isinstance(event, ReinforcementOrdered):
            donors = ",".join(f"{d.region.value}:{d.operators}" for d in event.donors)
            # Stored as UTC: SQLite compares times as text, which only works in one zone.
            started, until = event.occurred_at, event.until.astimezone(UTC)
            fact = OrderFact(event.order_id, event.region.value, donors, started, until)
            return EventKey(0, event.event_id), Effect(order=fact)
        if isinstance(event, ReinforcementEnded):
            fact = OrderFact(event.order_id, event.region.value, ended=event.occurred_at)
            return EventKey(0, event.event_id), Effect(order=fact)
        return None

    def _queue_event(
        self, event: Queued | Answered | Abandoned | RedirectedTo112, month: str
    ) -> Effect | None:
        pairs = counts_for(event, self.config)
        if not isinstance(event, RedirectedTo112) and event.channel.is_written:
            # The written channel's own counts replace the window's (calls') channel counts.
            own = f"channel:{event.channel}"
            pairs = [p for p in pairs if p[0] != own]
            pairs.append((WRITTEN + event.channel, self._written(event)))
        if not pairs:
            return None
        region = str(event.region)
        counts, in_main = _service_level_counts(region, month, tuple(pairs))
        if in_main and isinstance(event, Answered):
            wait = event.wait_seconds
            counts += (
                ((region, month, WAIT, bucket_key(bucket_of(wait))), 1),
                ((region, month, WAIT_MS, "sum"), wait_ms(wait)),
            )
        return Effect(counts)

    def _written(self, event: Queued | Answered | Abandoned) -> str:
        """Any hour; within the written target or not; no short abandons (nobody hangs up)."""
        if isinstance(event, Queued):
            return "offered"
        in_time = event.wait_seconds <= self.written_threshold_seconds
        if isinstance(event, Answered):
            return "answered_within" if in_time else "answered_late"
        return "abandoned_within" if in_time else "abandoned_late"


@functools.lru_cache(maxsize=8192)
def _service_level_counts(
    region: str, month: str, pairs: tuple[tuple[str, str], ...]
) -> tuple[tuple[tuple[CountKey, int], ...], bool]:
    """The counts of an event's window pairs, and whether the main dimension is among them:
    the same few hundred combinations a month, built once each, not millions of times in a
    replay."""
    counts = tuple(((region, month, SL + dimension, name), 1) for dimension, name in pairs)
    return counts, any(dimension == MAIN for dimension, _ in pairs)


def _classified(event: Classified, month: str) -> tuple[tuple[CountKey, int], ...]:
    region = str(event.region)
    cell = f"{event.channel}|{event.category}"
    counts = [
        ((region, month, CONTACTS, cell), 1),
        ((region, month, ROUTE, str(event.route)), 1),
    ]
    if event.e_service_capable:
        counts.append(((region, month, E_SERVICE_CAPABLE, cell), 1))
    return tuple(counts)


def _rated(event: ContactRated, month: str) -> tuple[tuple[CountKey, int], ...]:
    region = str(event.region)
    counts = [((region, month, RATING, f"{event.channel}|{event.rating}"), 1)]
    if event.commented:
        counts.append(((region, month, COMMENTED, str(event.channel)), 1))
    return tuple(counts)


def bucket_key(bucket: int) -> str:
    return f"{bucket:04d}"


def parse_donors(text: str) -> tuple[tuple[str, int], ...]:
    pairs = (item.split(":") for item in text.split(",") if item)
    return tuple((region, int(count)) for region, count in pairs)


def effective(aggregation: Aggregation, events: Iterable[Event]) -> dict[EventKey, Effect]:
    """The effects of a batch by event: a duplicate within the batch counts once."""
    effects: dict[EventKey, Effect] = {}
    for event in events:
        counted = aggregation.counted(event)
        if counted is not None and counted[0] not in effects:
            effects[counted[0]] = counted[1]
    return effects
