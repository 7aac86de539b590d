"""Opening hours that know Swedish holidays, the eves and configured special days; a closed
answer names the next opening; written contacts wait for it (pure domain, no I/O)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.service_level import NATIONAL
from schemas import Abandoned, Channel, Queued, QueueName, Region
from services.queueing.contact import Contact
from services.queueing.domain import QueuePolicy
from services.queueing.opening import special_keys
from services.queueing.settings import QueueingSettings
from tests.queueing_contacts import classified

STOCKHOLM = ZoneInfo("Europe/Stockholm")
POLICY = QueuePolicy.build("", "close", NATIONAL)  # 07:00-20:00, holidays closed
CRIME = QueueName.CRIME_REPORT


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def test_the_library_lists_the_eves_and_the_holidays_but_not_plain_sundays() -> None:
    assert "midsommarafton" in special_keys(date(2027, 6, 25))
    assert "midsommardagen" in special_keys(date(2027, 6, 26))
    assert "julafton" in special_keys(date(2027, 12, 24))
    assert "nyarsafton" in special_keys(date(2027, 12, 31))
    assert special_keys(date(2027, 6, 27)) == (), "a plain Sunday keeps the normal hours"
    assert special_keys(date(2027, 6, 22)) == (), "a normal Tuesday"


def test_midsommarafton_2027_and_julafton_are_closed_all_day() -> None:
    assert not POLICY.is_open(CRIME, local(2027, 6, 25, 10, 0))
    assert not POLICY.is_open(CRIME, local(2027, 12, 24, 7, 30))
    assert POLICY.is_open(CRIME, local(2027, 12, 23, 19, 59))


def test_a_saturday_and_a_normal_tuesday_keep_the_normal_hours() -> None:
    saturday, tuesday = local(2027, 6, 19, 7, 0), local(2027, 6, 22, 12, 0)
    assert POLICY.is_open(CRIME, saturday)
    assert POLICY.is_open(CRIME, tuesday)
    assert not POLICY.is_open(CRIME, local(2027, 6, 22, 6, 59))
    assert not POLICY.is_open(CRIME, local(2027, 6, 22, 20, 0))


def test_the_next_opening_skips_the_midsummer_holidays() -> None:
    thursday_night = local(2027, 6, 24, 22, 30)
    # Friday midsommarafton and Saturday midsommardagen closed: Sunday 07:00.
    assert POLICY.next_opening(CRIME, thursday_night) == local(2027, 6, 27, 7, 0)
    monday_night = local(2027, 6, 21, 22, 30)
    assert POLICY.next_opening(CRIME, monday_night) == local(2027, 6, 22, 7, 0)
    open_now = local(2027, 6, 22, 9, 0)
    assert POLICY.next_opening(CRIME, open_now) == open_now


def test_special_days_are_configured_per_queue_and_for_all() -> None:
    settings = QueueingSettings(
        opening_hours="urgent=00:00-24:00",
        special_days="urgent@holiday=normal,julafton=09:00-13:00,2027-06-22=closed",
    )
    policy = settings.queue_policy()
    assert policy.is_open(QueueName.URGENT, local(2027, 6, 25, 3, 0)), "urgent: its own hours"
    assert not policy.is_open(CRIME, local(2027, 6, 25, 10, 0))
    assert policy.is_open(CRIME, local(2027, 12, 24, 12, 59))
    assert not policy.is_open(CRIME, local(2027, 12, 24, 13, 0))
    assert not policy.is_open(CRIME, local(2027, 6, 22, 12, 0)), "a configured date"
    assert policy.next_opening(CRIME, local(2027, 12, 24, 8, 0)) == local(2027, 12, 24, 9, 0)


def test_hours_across_midnight_end_the_next_morning_even_on_a_holiday() -> None:
    policy = QueuePolicy.build("urgent=20:00-07:00", "close", NATIONAL)
    assert policy.is_open(QueueName.URGENT, local(2027, 6, 25, 3, 0)), "Thursday's night"
    assert not policy.is_open(QueueName.URGENT, local(2027, 6, 25, 22, 0)), "midsommarafton"
    assert policy.next_opening(QueueName.URGENT, local(2027, 6, 25, 8)) == local(2027, 6, 27, 20)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("queue@holiday=closed", "unknown queue"),
        ("2027-13-01=closed", "not YYYY-MM-DD"),
        ("julafton=9-13", "not HH:MM-HH:MM"),
        ("=closed", "needs a day"),
    ],
)
def test_special_days_that_make_no_sense_are_refused_at_start(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        QueueingSettings(special_days=spec)


def test_a_call_turned_away_when_closed_names_the_next_opening() -> None:
    night = local(2027, 6, 24, 22, 30).astimezone(UTC)
    arrival = Contact.arrive(classified(Region.SYD, at=night, waited=0), POLICY, night, None)
    assert isinstance(arrival.event, Abandoned)
    assert arrival.event.reason == "closed"
    assert arrival.event.opens_at == local(2027, 6, 27, 7, 0)


@pytest.mark.parametrize("channel", [Channel.MAIL, Channel.E_SERVICE, Channel.SOCIAL_MEDIA])
def test_a_written_contact_is_never_turned_away_when_closed(channel: Channel) -> None:
    night = local(2027, 6, 24, 22, 30).astimezone(UTC)
    letter = classified(Region.SYD, at=night, waited=0).model_copy(update={"channel": channel})
    arrival = Contact.arrive(letter, POLICY, night, None)
    assert isinstance(arrival.event, Queued)
    assert arrival.contact is not None
    assert arrival.event.outside_service_hours
    assert POLICY.written_target == timedelta(hours=24)
