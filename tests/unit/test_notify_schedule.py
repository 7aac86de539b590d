"""The on-call schedule: validation names the entry; resolution in Stockholm time."""

import base64
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from schemas import Region
from services.notify.ack import AckClaim, BadToken, sign_ack, verify_ack
from services.notify.schedule import Schedule, ScheduleError, load_schedule
from services.notify.settings import DEFAULT_SCHEDULE

EVERY_DAY = "[mon, tue, wed, thu, fri, sat, sun]"
SCHEDULE = f"""
people:
  day: {{name: Dag, email: dag@example.org}}
  night: {{name: Natt, webhook: "https://hooks.example.org/natt"}}
  chief: {{name: Chef, email: chef@example.org}}
rotations:
  - region: nord
    level: 1
    shifts:
      - {{person: day, days: {EVERY_DAY}, from: "07:00", to: "19:00"}}
      - {{person: night, days: {EVERY_DAY}, from: "19:00", to: "07:00"}}
  - region: nord
    level: 2
    shifts:
      - {{person: chief, days: [mon, tue, wed, thu, fri], from: "08:00", to: "17:00"}}
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def person_on_call(schedule: Schedule, region: Region, level: int, when: datetime) -> str:
    on_call = schedule.on_call(region, level, when)
    assert on_call is not None, f"nobody on call for {region} level {level} at {when}"
    return on_call.person.id


def test_the_person_on_call_follows_the_rotation_across_handovers_and_midnight() -> None:
    schedule = load_schedule(SCHEDULE)
    nord = Region.NORD
    assert person_on_call(schedule, nord, 1, at("2026-11-24T06:59+01:00")) == "night"
    assert person_on_call(schedule, nord, 1, at("2026-11-24T07:00+01:00")) == "day"
    assert person_on_call(schedule, nord, 1, at("2026-11-24T19:00+01:00")) == "night"
    # Sunday's night shift runs into Monday morning.
    assert person_on_call(schedule, nord, 1, at("2026-11-30T03:00+01:00")) == "night"
    assert [c.level for c in schedule.chain(nord, at("2026-11-24T10:00+01:00"))] == [1, 2]
    assert [c.level for c in schedule.chain(nord, at("2026-11-28T10:00+01:00"))] == [1]
    assert schedule.chain(Region.SYD, at("2026-11-24T10:00+01:00")) == []


def test_handovers_are_in_stockholm_wall_clock_time_on_both_sides_of_daylight_saving() -> None:
    schedule = load_schedule(SCHEDULE)
    # 07:00 in Stockholm is 05:00 UTC in summer and 06:00 UTC in winter.
    assert person_on_call(schedule, Region.NORD, 1, at("2026-07-01T05:00+00:00")) == "day"
    assert person_on_call(schedule, Region.NORD, 1, at("2026-12-01T05:30+00:00")) == "night"
    # The night of the spring change (29 March 2026) is covered without a gap.
    assert person_on_call(schedule, Region.NORD, 1, at("2026-03-29T01:30+00:00")) == "night"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("region: nord\n    level: 2", "region: lappland\n    level: 2"), "rotations[1]"),
        (("dag@example.org", "dag-at-example"), "people.day: email"),
        (('"https://hooks.example.org/natt"', "ftp://x"), "people.night: webhook"),
        (
            ('"https://hooks.example.org/natt"', '"https://hooks.example.org:abc/natt"'),
            "people.night: webhook",
        ),
        (('from: "08:00"', 'from: "8 am"'), "rotations[1] (nord level 2) shift 1"),
        (("person: chief", "person: nobody"), "unknown person 'nobody'"),
        (('from: "19:00", to: "07:00"', 'from: "18:00", to: "07:00"'), "shift 2: overlaps"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_entry(change: tuple[str, str], named: str) -> None:
    broken = SCHEDULE.replace(*change)
    assert broken != SCHEDULE
    with pytest.raises(ScheduleError, match=re.escape(named)):
        load_schedule(broken, "oncall.yaml")


def test_the_default_schedule_covers_every_region_around_the_clock_at_two_levels() -> None:
    schedule = load_schedule(Path(DEFAULT_SCHEDULE).read_text(), str(DEFAULT_SCHEDULE))
    for region in Region:
        for hour in range(24):
            moment = datetime.fromisoformat(f"2026-11-24T{hour:02d}:30+01:00")
            assert [c.level for c in schedule.chain(region, moment)] == [1, 2], (region, hour)


def test_an_acknowledgement_link_names_its_alert_and_recipient_until_it_expires() -> None:
    alert = uuid.uuid4()
    token = sign_ack("secret", alert, "syd.day-1", at("2026-11-24T12:00+01:00"))
    claim = verify_ack("secret", token, at("2026-11-24T11:59+01:00"))
    assert claim == AckClaim(alert, "syd.day-1"), "a recipient id may hold a dot"
    with pytest.raises(BadToken, match="expired"):
        verify_ack("secret", token, at("2026-11-24T12:00+01:00"))
    with pytest.raises(BadToken, match="signature"):
        verify_ack("another secret", token, at("2026-11-24T11:00+01:00"))
    other = sign_ack("secret", uuid.uuid4(), "syd.day-1", at("2026-11-24T12:00+01:00"))
    spliced = token.split(".")[0] + "." + other.split(".")[1]
    with pytest.raises(BadToken, match="signature"):
        verify_ack("secret", spliced, at("2026-11-24T11:00+01:00"))
    with pytest.raises(BadToken, match="not an acknowledgement link"):
        verify_ack("secret", "garbage", at("2026-11-24T11:00+01:00"))


def test_a_link_made_for_one_recipient_cannot_be_made_to_name_another() -> None:
    alert, expires = uuid.uuid4(), at("2026-11-24T12:00+01:00")
    token = sign_ack("secret", alert, "syd-day", expires)
    body = f"{alert}.syd-chief.{int(expires.timestamp())}".encode()
    renamed = base64.urlsafe_b64encode(body).decode().rstrip("=") + "." + token.split(".")[1]
    with pytest.raises(BadToken, match="signature"):
        verify_ack("secret", renamed, at("2026-11-24T11:00+01:00"))
