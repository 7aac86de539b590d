"""Opening hours by calendar day: Swedish public holidays and special days (no I/O).

A queue's normal hours (domain.OpeningHours) hold every day unless the day is special. A day
is special when the `holidays` library's Sweden calendar lists it, as a public holiday or a
de facto one (midsommarafton, julafton, nyårsafton: the library's `de_facto` category), or
when configuration names it. The library lists every Sunday too; a Sunday is not special
here: it keeps the normal hours, as a Saturday does. On a special day
every queue is closed unless configuration says otherwise, per queue or for all queues:

    PKC_QUEUEING_SPECIAL_DAYS='urgent@holiday=normal,julafton=09:00-13:00,2027-04-30=closed'

Each item is `[queue@]day=hours`: `day` is `holiday` (any listed day), a day's key
(`midsommarafton`, `julafton`, `nyarsafton`, ... the library's Swedish name in lower case with
å, ä, ö as a, a, o and spaces as '-') or an ISO date (which also makes that date special);
`hours` is HH:MM-HH:MM, `closed`, or `normal` (the queue's normal hours). The most specific
item wins: a queue's own before all queues', a date before a day's key before `holiday`.

A day's hours run from its opening; hours across midnight ('20:00-07:00') end the next
morning, whatever that next day is. `next_opening` is what a closed answer names.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from domain.service_level import ServiceLevelPolicy
from schemas import QueueName

HOLIDAY = "holiday"
CLOSED = "closed"
NORMAL = "normal"
_LOOK_AHEAD_DAYS = 400
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", " ": "-", ",": ""})


_DAY = 24 * 3600


def _seconds_after_midnight(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _seconds_of_day(text: str) -> int:
    """'HH:MM' as seconds after local midnight; '24:00' is the midnight that ends the day."""
    return _DAY if text == "24:00" else _seconds_after_midnight(time.fromisoformat(text))


@dataclass(frozen=True)
class OpeningHours:
    """One queue's daily hours in the service's local time (zoneinfo keeps DST right), as
    seconds after local midnight. Hours that close before they open run across midnight
    ('20:00-07:00'); '00:00-24:00' is open around the clock."""

    opens: int
    closes: int
    zone: ZoneInfo

    @classmethod
    def of_service_level(cls, policy: ServiceLevelPolicy) -> "OpeningHours":
        """The hours the service-level target counts: every queue's hours unless configured."""
        return cls(
            _seconds_after_midnight(policy.opens),
            _seconds_after_midnight(policy.closes),
            policy.timezone,
        )

    def is_open(self, moment: datetime) -> bool:
        second = _seconds_after_midnight(moment.astimezone(self.zone).time())
        if self.opens < self.closes:
            return self.opens <= second < self.closes
        return second >= self.opens or second < self.closes  # across midnight

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> "OpeningHours":
        """'07:00-20:00', '20:00-07:00' (across midnight), '00:00-24:00' (always open)."""
        try:
            opens, closes = (_seconds_of_day(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"opening hours {text!r} are not HH:MM-HH:MM") from None
        if opens == _DAY:
            raise ValueError(f"opening hours {text!r} open at 24:00; write 00:00")
        if opens == closes:
            raise ValueError(
                f"opening hours {text!r} open and close at one time; around the clock is "
                "00:00-24:00"
            )
        return cls(opens, closes, zone)


def parse_opening_hours(spec: str, default: OpeningHours) -> dict[QueueName, OpeningHours]:
    """'crime_report=07:00-20:00,switchboard=08:00-16:00'; queues not named keep `default`
    (the service-level hours)."""
    hours = dict.fromkeys(QueueName, default)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        try:
            queue = QueueName(name.strip())
        except ValueError:
            raise ValueError(f"unknown queue {name!r} in opening hours") from None
        hours[queue] = OpeningHours.parse(value, default.zone)
    return hours


def day_key(name: str) -> str:
    """'Nyårsafton' -> 'nyarsafton', 'Juldagen' -> 'juldagen'."""
    return name.strip().lower().translate(_FOLD)


@lru_cache(maxsize=64)
def _swedish(year: int) -> dict[date, tuple[str, ...]]:
    """Sweden's public holidays and de facto ones (the eves): each day's keys."""
    calendar = holidays.country_holidays(
        "SE", years=year, language="sv", categories=(holidays.PUBLIC, holidays.DE_FACTO)
    )
    return {
        day: tuple(day_key(name) for name in names.split(";"))
        for day, names in calendar.items()
        if day_key(names) != "sondag"  # every Sunday: an ordinary day for opening hours
    }


def special_keys(day: date) -> tuple[str, ...]:
    """The day's keys if Sweden's calendar makes it special, else ()."""
    return _swedish(day.year).get(day, ())


@dataclass(frozen=True)
class SpecialDays:
    """Configured hours on special days; empty: every queue closed on every special day."""

    rules: dict[tuple[QueueName | None, str], OpeningHours | str | None] = field(
        default_factory=dict
    )

    def hours_on(self, queue: QueueName, day: date, normal: OpeningHours) -> OpeningHours | None:
        """The queue's hours on `day` (None: closed all day)."""
        iso = day.isoformat()
        keys = special_keys(day)
        if not keys and (queue, iso) not in self.rules and (None, iso) not in self.rules:
            return normal
        for who in (queue, None):
            for key in (iso, *keys, HOLIDAY):
                if (who, key) in self.rules:
                    hours = self.rules[(who, key)]
                    return normal if hours == NORMAL else hours  # type: ignore[return-value]
        return None

    @classmethod
    def parse(cls, spec: str, zone: ZoneInfo) -> "SpecialDays":
        rules: dict[tuple[QueueName | None, str], OpeningHours | str | None] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            target, _, value = item.partition("=")
            queue_name, _, day = target.strip().rpartition("@")
            queue = _queue(queue_name) if queue_name else None
            key = _day(day)
            value = value.strip()
            if value in (CLOSED, NORMAL):
                rules[(queue, key)] = None if value == CLOSED else NORMAL
            else:
                rules[(queue, key)] = OpeningHours.parse(value, zone)
        return cls(rules)


def _queue(name: str) -> QueueName:
    try:
        return QueueName(name.strip())
    except ValueError:
        raise ValueError(f"unknown queue {name!r} in special days") from None


def _day(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("a special day needs a day: holiday, a day's name or YYYY-MM-DD")
    if text[:1].isdigit():
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"special day {text!r} is not YYYY-MM-DD") from None
    return day_key(text)


@dataclass(frozen=True)
class QueueCalendar:
    """One queue's normal hours with the special days: when it is open, and when next."""

    queue: QueueName
    normal: OpeningHours
    special: SpecialDays

    def _intervals(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.special.hours_on(self.queue, day, self.normal)
        if hours is None:
            return None
        zone = hours.zone
        start = datetime.combine(day, _clock(hours.opens), zone)
        end_day = day if hours.opens < hours.closes else day + timedelta(days=1)
        if hours.closes == 24 * 3600:
            end_day, closes = day + timedelta(days=1), 0
        else:
            closes = hours.closes
        end = datetime.combine(end_day, _clock(closes), zone)
        return start, end

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.normal.zone).date()
        for day in (local - timedelta(days=1), local):
            span = self._intervals(day)
            if span is not None and span[0] <= moment < span[1]:
                return True
        return False

    def next_opening(self, moment: datetime) -> datetime | None:
        """`moment` if open then, else the next opening (None: none within 400 days)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.normal.zone).date()
        for offset in range(_LOOK_AHEAD_DAYS):
            span = self._intervals(local + timedelta(days=offset))
            if span is not None and span[0] > moment:
                return span[0]
        return None


def _clock(seconds: int) -> time:
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
