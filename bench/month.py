"""A synthetic month of PKC traffic as JSONL: one event per line, as the schemas define them.

Deterministic from a seed (event and contact ids too), so a file generated twice replays as the
same events and consumers dedupe it. Volumes per region follow population; waits per region are
drawn so that the share answered within 10 minutes is near May 2024's (docs/domain.md); a few
reinforcement orders move operators from strong regions to weak ones.

Each contact gives Classified (and RedirectedTo112 for Nöd), and when it is queued, Queued and
Answered + ContactResolved or Abandoned. Lines are written contact by contact in order of
receipt: the queue events of one contact come before the next contact's, so across contacts the
file is only roughly in time order, as a real log would be.

    python -m bench.month 2024-05 100000 month.jsonl
"""

import bisect
import itertools
import json
import math
import random
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Share of national contacts per region (roughly population).
REGION_WEIGHTS = {
    "stockholm": 0.24,
    "vast": 0.18,
    "syd": 0.15,
    "ost": 0.11,
    "mitt": 0.12,
    "bergslagen": 0.10,
    "nord": 0.10,
}
# Share answered within 10 minutes that each region's waits are drawn for (May 2024).
SHARE_GOAL = {
    "bergslagen": 0.854,
    "mitt": 0.782,
    "nord": 0.708,
    "stockholm": 0.636,
    "syd": 0.849,
    "vast": 0.646,
    "ost": 0.953,
}
CHANNEL_WEIGHTS = {
    "phone": 0.62,
    "e_service": 0.22,
    "social_media": 0.04,
    "reception": 0.06,
    "mail": 0.03,
    "physical_meeting": 0.03,
}
CATEGORY_WEIGHTS = {"emergency": 0.02, "urgent": 0.10, "case_help": 0.53, "information": 0.35}
CASE_MATTERS = (
    "theft",
    "burglary",
    "card_fraud",
    "loss",
    "vandalism",
    "passport_booking",
    "case_question",
    "permit_weapons",
)
E_SERVICE_MATTERS = frozenset(
    {"theft", "card_fraud", "loss", "vandalism", "passport_booking", "permit_weapons"}
)
# Relative arrivals per Stockholm hour of day: busy office hours, a quiet night.
HOUR_WEIGHTS = (
    *(0.08,) * 6,  # 00-05
    0.3,
    0.8,
    1.0,
    1.0,
    0.95,
    0.9,
    0.85,
    0.9,
    0.95,
    0.9,
    0.8,
    0.7,
    0.55,
    0.4,  # 06-19
    0.25,
    0.15,
    0.1,
    0.08,  # 20-23
)
ABANDON_RATE = 0.10
SHORT_ABANDON_RATE = 0.15  # of abandons: hung up within 5 s
OUTCOMES = ("report_filed", "sent_to_e_service", "information_given", "transferred")


@dataclass(frozen=True)
class MonthFile:
    path: Path
    month: str
    contacts: int
    events: int


def month_start(month: str) -> datetime:
    """The first instant of a Stockholm calendar month, in UTC."""
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=STOCKHOLM).astimezone(UTC)


def next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def write_month(
    path: Path,
    month: str,
    contacts: int,
    seed: int = 1,
    *,
    append: bool = False,
    reinforcements: bool = True,
) -> MonthFile:
    """Writes `contacts` contacts received in `month` (Stockholm time) as JSONL."""
    with path.open("a" if append else "w", encoding="utf-8") as out:
        written = _write(out, month, contacts, random.Random(f"{month}/{seed}"), reinforcements)
    return MonthFile(path, month, contacts, written)


def _write(out: TextIO, month: str, contacts: int, rng: random.Random, orders: bool) -> int:
    generator = _Generator(rng)
    written = 0
    lines: list[str] = []
    for received in _arrivals(month, contacts, rng):
        lines.extend(json.dumps(e, separators=(",", ":")) for e in generator.contact(received))
        if len(lines) >= 10_000:
            out.write("\n".join(lines) + "\n")
            written += len(lines)
            lines.clear()
    if orders:
        lines.extend(json.dumps(e, separators=(",", ":")) for e in generator.orders(month))
    if lines:
        out.write("\n".join(lines) + "\n")
        written += len(lines)
    return written


def _arrivals(month: str, contacts: int, rng: random.Random) -> list[float]:
    """Receipt times (epoch seconds) shaped by hour of day, sorted."""
    start = month_start(month).timestamp()
    span = month_start(next_month(month)).timestamp() - start
    top = max(HOUR_WEIGHTS)
    times: list[float] = []
    while len(times) < contacts:
        moment = start + rng.random() * span
        hour = datetime.fromtimestamp(moment, STOCKHOLM).hour
        if rng.random() * top < HOUR_WEIGHTS[hour]:
            times.append(round(moment, 3))
    times.sort()
    return times


class _Picker:
    """Weighted choice by bisecting cumulative weights (faster than random.choices per call)."""

    def __init__(self, weights: dict[str, float]):
        self.names = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def pick(self, rng: random.Random) -> str:
        return self.names[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


class _Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.regions = _Picker(REGION_WEIGHTS)
        self.channels = _Picker(CHANNEL_WEIGHTS)
        self.categories = _Picker(CATEGORY_WEIGHTS)
        # Exponential waits: P(wait <= 600) = goal gives the mean wait of each region.
        self.mean_wait = {r: -600.0 / math.log(1.0 - g) for r, g in SHARE_GOAL.items()}

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def contact(self, received: float) -> Iterator[dict[str, Any]]:
        rng = self.rng
        region, channel = self.regions.pick(rng), self.channels.pick(rng)
        category = self.categories.pick(rng)
        matter = _matter(category, rng)
        capable = category == "case_help" and matter in E_SERVICE_MATTERS
        route = _route(category, channel, matter, capable)
        contact_id, classified_at = self.uuid(), _iso(received + 2.0)
        base = {"contact_id": contact_id, "region": region}
        arrived = {**base, "channel": channel, "received_at": _iso(received)}
        yield _event(
            self.uuid(),
            "Classified",
            classified_at,
            **arrived,
            category=category,
            matter=matter,
            priority=_priority(category),
            route=route,
            e_service="polisen.se" if capable else None,
            e_service_capable=capable,
            rule_id=f"synthetic-{matter}",
            rules_version="synthetic-1",
        )
        if route == "emergency_112":
            redirect = {**arrived, "redirect_seconds": 2.0}
            yield _event(self.uuid(), "RedirectedTo112", classified_at, **redirect)
            return
        if route == "e_service":
            return
        yield from self._queue(received, base, channel, category, capable)

    def _queue(
        self, received: float, base: dict[str, str], channel: str, category: str, capable: bool
    ) -> Iterator[dict[str, Any]]:
        rng = self.rng
        outside = not 7 <= datetime.fromtimestamp(received, STOCKHOLM).hour < 20
        common = {**base, "channel": channel, "category": category, "received_at": _iso(received)}
        queue = {"urgent": "urgent", "information": "switchboard"}.get(category, "crime_report")
        yield _event(
            self.uuid(),
            "Queued",
            _iso(received + 2.0),
            **common,
            queue=queue,
            priority=_priority(category),
            outside_service_hours=outside,
            e_service_capable=capable,
        )
        if outside:  # queueing closes the contact at once outside opening hours
            yield self._ended(
                "Abandoned", received, common, 0.0, reason="closed", outside_service_hours=True
            )
            return
        if rng.random() < ABANDON_RATE:
            short = rng.random() < SHORT_ABANDON_RATE
            wait = rng.uniform(0.5, 5.0) if short else 5.0 + rng.expovariate(1 / 400.0)
            yield self._ended(
                "Abandoned",
                received,
                common,
                round(wait, 3),
                reason="hung_up",
                outside_service_hours=False,
            )
            return
        region = base["region"]
        wait = round(rng.expovariate(1.0 / self.mean_wait[region]), 3)
        operator = f"op-{region}-{rng.randint(1, 60)}"
        yield self._ended(
            "Answered", received, common, wait, operator_id=operator, operator_region=region
        )
        handling = round(60.0 + rng.expovariate(1 / 240.0), 3)
        yield _event(
            self.uuid(),  # drawn before the outcome, as the generator always has
            "ContactResolved",
            _iso(received + wait + handling),
            **base,
            operator_id=operator,
            outcome=OUTCOMES[rng.randrange(len(OUTCOMES))],
            handling_seconds=handling,
        )

    def _ended(
        self, event_type: str, received: float, common: dict[str, str], wait: float, **fields: Any
    ) -> dict[str, Any]:
        """An Answered or an Abandoned: the contact's wait ended after `wait` seconds."""
        occurred_at = _iso(received + wait)
        return _event(self.uuid(), event_type, occurred_at, **common, wait_seconds=wait, **fields)

    def orders(self, month: str) -> Iterator[dict[str, Any]]:
        """Weak regions reinforced by strong ones: some end early, some expire, and the last
        runs past the month's end without an end event (counted until its `until`)."""
        start = month_start(month).timestamp()
        span = month_start(next_month(month)).timestamp() - start
        plan = (("stockholm", ("ost", "syd")), ("nord", ("bergslagen",)), ("vast", ("ost",)))
        for index, (region, donors) in enumerate(plan):
            for day in range(4):
                opened = start + (3 + 7 * day + index) * 86400.0 + 9 * 3600.0
                until = opened + 2 * 3600.0
                order_id = self.uuid()
                yield _order(self.uuid(), order_id, region, donors, opened, until)
                ended = opened + 3600.0 if day % 2 else until
                yield _event(
                    self.uuid(),
                    "ReinforcementEnded",
                    _iso(ended),
                    order_id=order_id,
                    region=region,
                    reason="ended_early" if day % 2 else "expired",
                    ended_by="supervisor-1" if day % 2 else "queueing",
                )
        last = start + span - 3600.0  # 23:00 on the last evening: runs 3 h into the next month
        yield _order(self.uuid(), self.uuid(), "stockholm", ("mitt",), last, last + 4 * 3600.0)


def _order(
    event_id: str, order_id: str, region: str, donors: Sequence[str], opened: float, until: float
) -> dict[str, Any]:
    return _event(
        event_id,
        "ReinforcementOrdered",
        _iso(opened),
        order_id=order_id,
        region=region,
        donors=[{"region": donor, "operators": 3} for donor in donors],
        until=_iso(until),
        ordered_by="reporting",
    )


def _event(event_id: str, event_type: str, occurred_at: str, **fields: Any) -> dict[str, Any]:
    """One event as the platform writes it to a topic: the envelope, then its own fields."""
    envelope = {"event_id": event_id, "event_type": event_type, "schema_version": 1}
    return {**envelope, "occurred_at": occurred_at, **fields}


def _matter(category: str, rng: random.Random) -> str:
    if category == "emergency":
        return "ongoing_crime_or_danger"
    if category == "urgent":
        return "tip"
    if category == "information":
        return "general_question"
    return CASE_MATTERS[rng.randrange(len(CASE_MATTERS))]


def _route(category: str, channel: str, matter: str, capable: bool) -> str:
    if category == "emergency":
        return "emergency_112"
    if channel == "e_service" and capable:
        return "e_service"
    return "switchboard" if category == "information" else "operator"


def _priority(category: str) -> int:
    return {"emergency": 1, "urgent": 2, "case_help": 3}.get(category, 4)


def main(argv: list[str]) -> int:
    month, contacts, target = argv[0], int(argv[1]), Path(argv[2])
    made = write_month(target, month, contacts)
    print(f"{made.events} events of {made.contacts} contacts in {made.month} → {made.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
