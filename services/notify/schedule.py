"""The on-call schedule: who is on call for which region, at which escalation level, when.

Data, not code: a YAML file (services/notify/oncall.yaml by default) that names people with
their delivery addresses, and per region and level a weekly rotation of shifts in Stockholm
local time. A shift may cross midnight ("19:00"-"07:00" belongs to the day it starts).
Handovers are where one shift ends and the next begins; shifts at the same region and level
must not overlap. Loading names the entry of every error.
"""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from schemas import Region

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ScheduleError(ValueError):
    """What is wrong, naming the entry."""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str | None
    webhook: str | None


@dataclass(frozen=True)
class Shift:
    person: str
    day: int  # 0 = Monday
    start: int  # minutes after local midnight
    end: int  # minutes; past 1440 when the shift crosses midnight

    def minutes_of_week(self) -> tuple[int, int]:
        return self.day * 1440 + self.start, self.day * 1440 + self.end


@dataclass(frozen=True)
class OnCall:
    region: Region
    level: int
    person: Person


@dataclass(frozen=True)
class Schedule:
    people: dict[str, Person]
    rotations: dict[tuple[Region, int], tuple[Shift, ...]]

    def levels(self, region: Region) -> list[int]:
        return sorted(level for r, level in self.rotations if r == region)

    def on_call(self, region: Region, level: int, at: datetime) -> OnCall | None:
        """The person on call at `at` (any zone), or None when the level has a gap then."""
        local = at.astimezone(STOCKHOLM)
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        for shift in self.rotations.get((region, level), ()):
            start, end = shift.minutes_of_week()
            # A shift crossing Sunday midnight continues into Monday: check both weeks.
            if start <= minute < end or start <= minute + 7 * 1440 < end:
                return OnCall(region, level, self.people[shift.person])
        return None

    def chain(self, region: Region, at: datetime) -> list[OnCall]:
        """Everyone on call for the region at `at`, level by level."""
        found = (self.on_call(region, level, at) for level in self.levels(region))
        return [c for c in found if c is not None]


def load_schedule(text: str, source: str = "schedule") -> Schedule:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ScheduleError(f"{source}:{where} not valid YAML") from None
    if not isinstance(raw, dict):
        raise ScheduleError(f"{source}: expected a mapping with 'people' and 'rotations'")
    people = _people(raw.get("people"), source)
    rotations = _rotations(raw.get("rotations"), people, source)
    return Schedule(people, rotations)


def _people(raw: Any, source: str) -> dict[str, Person]:
    if not isinstance(raw, dict) or not raw:
        raise ScheduleError(f"{source}: 'people' must map person ids to their addresses")
    people = {}
    for pid, entry in raw.items():
        where = f"{source}: people.{pid}"
        if not isinstance(entry, dict):
            raise ScheduleError(f"{where}: expected name, email and/or webhook")
        email, webhook = entry.get("email"), entry.get("webhook")
        if email is not None and not (isinstance(email, str) and _EMAIL.match(email)):
            raise ScheduleError(f"{where}: email is not an e-mail address")
        if webhook is not None and not (isinstance(webhook, str) and _is_url(webhook)):
            raise ScheduleError(f"{where}: webhook is not an http(s) URL")
        if email is None and webhook is None:
            raise ScheduleError(f"{where}: needs an email or a webhook to be reached")
        people[str(pid)] = Person(str(pid), str(entry.get("name", pid)), email, webhook)
    return people


def _rotations(
    raw: Any, people: dict[str, Person], source: str
) -> dict[tuple[Region, int], tuple[Shift, ...]]:
    if not isinstance(raw, list) or not raw:
        raise ScheduleError(f"{source}: 'rotations' must be a list")
    rotations: dict[tuple[Region, int], list[tuple[Shift, str]]] = {}
    for index, entry in enumerate(raw):
        where = f"{source}: rotations[{index}]"
        if not isinstance(entry, dict):
            raise ScheduleError(f"{where}: expected region, level and shifts")
        try:
            region = Region(str(entry.get("region")))
        except ValueError:
            raise ScheduleError(f"{where}: unknown region {entry.get('region')!r}") from None
        level = entry.get("level")
        if not isinstance(level, int) or level < 1:
            raise ScheduleError(f"{where}: level must be 1 or more")
        where = f"{where} ({region.value} level {level})"
        shifts = entry.get("shifts")
        if not isinstance(shifts, list) or not shifts:
            raise ScheduleError(f"{where}: no shifts")
        slot = rotations.setdefault((region, level), [])
        for number, shift in enumerate(shifts, start=1):
            for made in _shifts(shift, people, f"{where} shift {number}"):
                _refuse_overlap(made, slot)
                slot.append(made)
    return {key: tuple(s for s, _ in value) for key, value in rotations.items()}


def _shifts(raw: Any, people: dict[str, Person], where: str) -> list[tuple[Shift, str]]:
    if not isinstance(raw, dict):
        raise ScheduleError(f"{where}: expected person, days, from and to")
    person = str(raw.get("person"))
    if person not in people:
        raise ScheduleError(f"{where}: unknown person {person!r}")
    days = raw.get("days")
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        raise ScheduleError(f"{where}: days must be a list of {', '.join(DAYS)}")
    start, end = _clock(raw.get("from"), where), _clock(raw.get("to"), where)
    if end <= start:
        end += 1440  # crosses midnight
    return [(Shift(person, DAYS.index(d), start, end), where) for d in days]


def _clock(value: Any, where: str) -> int:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise ScheduleError(f"{where}: times are HH:MM, got {value!r}")
    parsed = time.fromisoformat(value)
    return parsed.hour * 60 + parsed.minute


def _refuse_overlap(new: tuple[Shift, str], slot: list[tuple[Shift, str]]) -> None:
    shift, where = new
    a_start, a_end = shift.minutes_of_week()
    for other, other_where in slot:
        b_start, b_end = other.minutes_of_week()
        for offset in (-7 * 1440, 0, 7 * 1440):  # the week wraps around
            if a_start < b_end + offset and b_start + offset < a_end:
                day = DAYS[shift.day]
                raise ScheduleError(f"{where}: overlaps {other_where.split(': ')[-1]} on {day}")


def describe(on_call: OnCall) -> str:
    ways = [w for w in (on_call.person.email, on_call.person.webhook and "webhook") if w]
    return f"level {on_call.level}: {on_call.person.name} ({', '.join(ways)})"


def next_handover(schedule: Schedule, region: Region, level: int, at: datetime) -> datetime | None:
    """When the person on call at `at` hands over (the end of the shift covering `at`)."""
    local = at.astimezone(STOCKHOLM)
    minute = local.weekday() * 1440 + local.hour * 60 + local.minute
    for shift in schedule.rotations.get((region, level), ()):
        start, end = shift.minutes_of_week()
        for offset in (0, -7 * 1440):
            if start <= minute - offset < end:
                monday = (local - timedelta(days=local.weekday())).date()
                naive = datetime.combine(monday, time()) + timedelta(minutes=end + offset)
                return naive.replace(tzinfo=STOCKHOLM)
    return None


def _is_url(text: str) -> bool:
    """The pattern, and what the HTTP client will accept (a port of "abc" passes the first)."""
    if not _URL.match(text):
        return False
    try:
        urlsplit(text).port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return False
    return True
