"""Months are Stockholm calendar months: the boundaries move with daylight saving time."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic_core import TzInfo

from services.reporting.monthly.months import (
    BadMonth,
    hour_of,
    month_bounds,
    month_label,
    month_of,
    parse_month,
    year_before,
)


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        # New Year's Eve 23:30 UTC is 00:30 on 1 January in Stockholm (CET, +1).
        (datetime(2023, 12, 31, 23, 30, tzinfo=UTC), "2024-01"),
        (datetime(2023, 12, 31, 22, 59, tzinfo=UTC), "2023-12"),
        # 31 March 2024, after the spring change (CEST, +2): 22:00 UTC is midnight, April.
        (datetime(2024, 3, 31, 21, 59, tzinfo=UTC), "2024-03"),
        (datetime(2024, 3, 31, 22, 0, tzinfo=UTC), "2024-04"),
        # 31 October 2024, after the autumn change (CET, +1): 23:00 UTC is midnight, November.
        (datetime(2024, 10, 31, 22, 30, tzinfo=UTC), "2024-10"),
        (datetime(2024, 10, 31, 23, 0, tzinfo=UTC), "2024-11"),
    ],
)
def test_a_moment_belongs_to_its_stockholm_month(moment: datetime, month: str) -> None:
    assert month_of(moment) == month


def test_months_are_743_or_745_hours_around_daylight_saving() -> None:
    def hours(month: str) -> float:
        start, end = month_bounds(month)
        return (end - start).total_seconds() / 3600

    assert hours("2024-03") == 31 * 24 - 1  # spring forward on 31 March
    assert hours("2024-10") == 31 * 24 + 1  # fall back on 27 October
    assert hours("2024-05") == 31 * 24
    start, end = month_bounds("2024-03")
    assert start == datetime(2024, 2, 29, 23, tzinfo=UTC)
    assert end == datetime(2024, 3, 31, 22, tzinfo=UTC)


def test_year_before_and_labels() -> None:
    assert year_before("2024-05") == "2023-05"
    assert year_before("2024-01") == "2023-01"
    assert month_label("2024-05") == "May 2024"


@pytest.mark.parametrize("text", ["2024-13", "2024-5", "24-05", "2024-00", "may", ""])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(BadMonth):
        parse_month(text)


@pytest.mark.parametrize(
    "zone",
    [
        UTC,
        TzInfo(0),  # what a decoded event carries
        timezone(timedelta(hours=2)),
        timezone(timedelta(hours=-5, minutes=-30)),
        ZoneInfo("Europe/Stockholm"),
    ],
)
def test_the_hour_of_a_moment_is_the_same_in_every_zone_and_across_midnight(zone: object) -> None:
    # The UTC shortcut (no float) must give what the timestamp gives, to the hour's last µs.
    start = datetime(2024, 3, 30, 21, 0, tzinfo=UTC)
    for minutes in range(0, 3 * 24 * 60, 29):
        for extra in (timedelta(0), timedelta(minutes=28, seconds=59, microseconds=999_999)):
            moment = (start + timedelta(minutes=minutes) + extra).astimezone(zone)  # type: ignore[arg-type]
            assert hour_of(moment) == int(moment.timestamp()) // 3600, moment
