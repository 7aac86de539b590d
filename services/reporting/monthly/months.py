"""Calendar months in Stockholm time: which month a moment belongs to, and where months begin.

A contact belongs to the month of its receipt as seen in Stockholm, so 23:30 UTC on New Year's
Eve is already January. Months are named "YYYY-MM" everywhere (tables, URLs, the CLI).
"""

import functools
import re
from datetime import UTC, datetime

from domain.service_level import STOCKHOLM

# What users may ask for: 2000-2999. Inside, any year from 1 (a report reads the year before).
MONTH_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$")
_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class BadMonth(ValueError):
    """Not a month of the form YYYY-MM."""


def parse_month(text: str) -> tuple[int, int]:
    if not _MONTH.match(text):
        raise BadMonth(f"month must look like 2024-05, not {text[:20]!r}")
    return int(text[:4]), int(text[5:])


# Hours from 0001-01-01 to the epoch: a UTC moment's hour since the epoch without floats.
_EPOCH_HOURS = datetime(1970, 1, 1).toordinal() * 24


def hour_of(moment: datetime) -> int:
    """Whole hours since the epoch of an aware moment (the one it began in)."""
    if not moment.utcoffset():
        # Every event on the wire is in UTC: a third of `timestamp()`'s cost, which asks the
        # time zone for its offset and divides floats (millions of calls in a replay).
        return moment.toordinal() * 24 + moment.hour - _EPOCH_HOURS
    return int(moment.timestamp() // 3600)


def month_of(moment: datetime) -> str:
    """The Stockholm calendar month of an aware moment."""
    return month_of_hour(hour_of(moment))


@functools.lru_cache(maxsize=4096)
def month_of_hour(hour: int) -> str:
    """The Stockholm calendar month of a UTC hour (`hour_of`)."""
    # Cached per UTC hour (called for millions of events in a replay): Stockholm's offset is
    # a whole number of hours, so a month always begins on a UTC hour.
    local = datetime.fromtimestamp(hour * 3600, STOCKHOLM)
    return f"{local.year:04d}-{local.month:02d}"


def shift(month: str, months: int) -> str:
    year, number = parse_month(month)
    index = year * 12 + (number - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def year_before(month: str) -> str:
    return shift(month, -12)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of the month in UTC: local midnights, so 743 or 745 hours around DST."""
    year, number = parse_month(month)
    following = shift(month, 1)
    start = datetime(year, number, 1, tzinfo=STOCKHOLM)
    end = datetime(int(following[:4]), int(following[5:]), 1, tzinfo=STOCKHOLM)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_label(month: str) -> str:
    year, number = parse_month(month)
    return f"{_NAMES[number - 1]} {year}"
