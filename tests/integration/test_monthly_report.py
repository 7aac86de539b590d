"""The monthly follow-up end to end on real Kafka: a generated month and the same month a year
before are replayed with `pkc replay` into the reporting service; its HTTP report and
`pkc report monthly --format json` agree with figures computed here, independently, from the
file. Replaying again changes nothing; a bad line stops the replay with its line number (or is
skipped with --skip-bad) and nothing accepted before it is lost.

The months are replayed into a broker of this module's own (unless KAFKA_BOOTSTRAP_SERVERS names
an external one): the reporting worker turns a replayed month into SLA events, and other tests'
workers, which read the session broker's topics from the beginning, would see them.
"""

import asyncio
import json
import math
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.month import write_month
from domain.service_level import NATIONAL
from pkc.localkafka import LocalKafka
from pkc.paths import cache_dir
from pkc.polling import poll, poll_async
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from schemas import Channel, Region
from schemas.topics import QUEUE_EVENTS, all_topics
from services.reporting.monthly import TOPICS
from services.reporting.monthly.months import month_bounds, month_of
from services.shared.kafka_admin import create_topics, wait_for_cluster
from tests.conftest import fresh_database
from tests.identities import Headers, Identities
from tests.kafka_helpers import DeadLetter, read_until
from tests.queueing_contacts import classified

pytestmark = pytest.mark.kafka
MONTH, BEFORE = "2025-03", "2024-03"  # both end just after a change to summer time
BAD_MONTH = "2025-06"  # the bad-line file's contacts: a month of their own


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    local = None
    if external:
        bootstrap = external
    else:
        local = LocalKafka(tmp_path_factory.mktemp("monthly-kafka"), cache_dir(), port=free_port(2))
        local.start()
        bootstrap = local.bootstrap
    asyncio.run(wait_for_cluster(bootstrap, 60))
    asyncio.run(create_topics(bootstrap, all_topics()))
    yield bootstrap
    if local is not None:
        local.stop()


@pytest.fixture(scope="module")
def months_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("monthly") / "months.jsonl"
    write_month(path, MONTH, 1500, seed=3)
    write_month(path, BEFORE, 1200, seed=3, append=True)
    return path


@dataclass
class Service:
    process: ServiceProcess
    group: str
    database_url: str
    reader: Headers  # a person the monthly report is for (an auditor)


@pytest.fixture
def database_url(postgres_server: str | None, tmp_path: Path) -> Iterator[str]:
    """The monthly store on PostgreSQL, as in production (SQLite where no server runs): the
    month's replay costs a minute, and the store itself is tested on both databases
    (test_monthly_store.py), so the replay runs once rather than once per database."""
    if postgres_server is None:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture
def reporting(
    broker: str, database_url: str, identities: Identities, tmp_path: Path
) -> Iterator[Service]:
    tag = uuid.uuid4().hex[:8]
    group = f"reporting-monthly-test-{tag}"  # a fresh group: reads the topics from the start
    # Its dead-letter topic is not created here: the broker does not auto-create topics, so
    # the DLQ test below also proves the consumer makes its own group's.
    process = ServiceProcess(
        "reporting",
        free_port(),
        tmp_path / "logs",
        {
            "KAFKA_BOOTSTRAP_SERVERS": broker,
            "PKC_STATE_DIR": str(tmp_path),
            "PKC_TRACES_EXPORTER": "none",
            "PKC_REPORTING_FAUST_APP_ID": f"pkc-reporting-test-{tag}",
            "PKC_REPORTING_MONTHLY_GROUP": group,
            "DATABASE_URL": database_url,
            "PKC_OIDC_ISSUER": identities.issuer,
        },
    )
    process.start()
    try:
        wait_ready([process], timeout=90)
        yield Service(process, group, database_url, identities.person("auditor"))
    finally:
        process.stop()


# --- the figures, computed from the file without the service's code ---------------------------


@dataclass
class Expected:
    contacts: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_category: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    phone_contacts: int = 0
    e_service_capable: int = 0
    offered: int = 0
    outside_hours: int = 0
    redirected_112: int = 0
    waits: list[float] = field(default_factory=list)  # answered, phone, in service hours
    abandoned_waits: list[float] = field(default_factory=list)
    given: float = 0.0
    received: float = 0.0

    @property
    def answered_within(self) -> int:
        return sum(1 for w in self.waits if NATIONAL.answered_in_time(w))

    @property
    def share(self) -> float | None:
        real = [w for w in self.abandoned_waits if not NATIONAL.is_short_abandon(w)]
        counted = len(self.waits) + len(real)
        return self.answered_within / counted if counted else None


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def expected_figures(path: Path, month: str) -> dict[str, Expected]:
    figures: dict[str, Expected] = defaultdict(Expected)
    orders: dict[str, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        event = json.loads(line)
        kind = event["event_type"]
        if kind.startswith("Reinforcement"):
            orders.setdefault(event["order_id"], {}).update(
                {kind: event, "region": event["region"]}
            )
            continue
        if "received_at" not in event or month_of(_time(event["received_at"])) != month:
            continue
        mine = figures[event["region"]]
        phone = event["channel"] == Channel.PHONE.value
        in_hours = NATIONAL.within_hours(_time(event["received_at"]))
        if kind == "Classified":
            mine.contacts += 1
            mine.by_channel[event["channel"]] += 1
            mine.by_category[event["category"]] += 1
            if phone:
                mine.phone_contacts += 1
                mine.e_service_capable += event["e_service_capable"]
        elif kind == "RedirectedTo112":
            mine.redirected_112 += 1
        elif kind == "Queued" and not in_hours:
            mine.outside_hours += 1
        elif phone and in_hours:
            if kind == "Queued":
                mine.offered += 1
            elif kind == "Answered":
                mine.waits.append(event["wait_seconds"])
            elif kind == "Abandoned":
                mine.abandoned_waits.append(event["wait_seconds"])
    start, end = month_bounds(month)
    for order in orders.values():
        placed = order["ReinforcementOrdered"]
        began, until = _time(placed["occurred_at"]), _time(placed["until"])
        if "ReinforcementEnded" in order:
            until = min(until, _time(order["ReinforcementEnded"]["occurred_at"]))
        hours = (min(until, end) - max(began, start)).total_seconds() / 3600
        for donor in placed["donors"] if hours > 0 else ():
            figures[donor["region"]].given += hours * donor["operators"]
            figures[order["region"]].received += hours * donor["operators"]
    return figures


def exact_p90(waits: list[float]) -> float:
    ordered = sorted(waits)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def check_figures(reported: dict[str, Any], wanted: Expected) -> None:
    assert reported["contacts"] == wanted.contacts
    assert {k: v for k, v in reported["by_channel"].items() if v} == dict(wanted.by_channel)
    assert {k: v for k, v in reported["by_category"].items() if v} == dict(wanted.by_category)
    assert reported["phone_contacts"] == wanted.phone_contacts
    assert reported["e_service_capable"] == wanted.e_service_capable
    assert reported["offered"] == wanted.offered
    assert reported["outside_hours"] == wanted.outside_hours
    assert reported["redirected_112"] == wanted.redirected_112
    assert reported["answered"] == len(wanted.waits)
    assert reported["answered_within"] == wanted.answered_within
    assert reported["abandoned"] == len(wanted.abandoned_waits)
    assert reported["abandoned_short"] == sum(1 for w in wanted.abandoned_waits if w <= 5)
    assert reported["share"] == pytest.approx(wanted.share, abs=1e-12)
    assert reported["mean_wait_seconds"] == pytest.approx(
        sum(wanted.waits) / len(wanted.waits), abs=1e-3
    )
    assert abs(reported["p90_wait_seconds"] - exact_p90(wanted.waits)) < 10  # one bucket
    assert reported["reinforcement_hours_given"] == pytest.approx(wanted.given, abs=1e-3)
    assert reported["reinforcement_hours_received"] == pytest.approx(wanted.received, abs=1e-3)


# --- driving the replay and waiting for the consumer -------------------------------------------


def replay(path: Path, bootstrap: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pkc.cli", "replay", str(path), "--bootstrap", bootstrap, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _caught_up(bootstrap: str, group: str, timeout: float = 120.0) -> None:
    """Until the group has committed every record now in its topics (counted, then committed)."""
    ends_client = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await ends_client.start()
    await admin.start()
    try:
        partitions = [TopicPartition(t.name, p) for t in TOPICS for p in range(t.partitions)]
        ends = await ends_client.end_offsets(partitions)

        async def committed_to_the_ends() -> bool:
            committed = await admin.list_consumer_group_offsets(group)
            return all(
                end == 0 or (tp in committed and committed[tp].offset >= end)
                for tp, end in ends.items()
            )

        what = f"{group} to commit every record in its topics"
        await poll_async(committed_to_the_ends, what, timeout=timeout, interval=0.3)
    finally:
        await admin.close()
        await ends_client.stop()


def caught_up(service: Service, bootstrap: str) -> None:
    asyncio.run(_caught_up(bootstrap, service.group))


def report_over_http(
    service: Service, month: str, process: ServiceProcess | None = None
) -> dict[str, Any]:
    """The report as `service`'s reader gets it (from `process` if given: a rebuilt one)."""
    url = f"{(process or service.process).url}/reports/monthly"
    response = httpx.get(url, params={"month": month}, headers=service.reader, timeout=30)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def region(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["regions"] if c["region"] == name)
    return found


# --- the tests ---------------------------------------------------------------------------------


def test_a_replayed_month_gives_the_monthly_report(
    reporting: Service, broker: str, months_file: Path, tmp_path: Path
) -> None:
    done = replay(months_file, broker)
    assert done.returncode == 0, done.stderr
    assert "published" in done.stderr
    caught_up(reporting, broker)

    report = report_over_http(reporting, MONTH)
    assert report["compared_with"] == BEFORE
    # Counted to the end: the report says so, and the CSV's header too.
    assert report["counting"]["caught_up"] is True
    assert report["counting"]["warning_en"] is None
    csv = httpx.get(
        f"{reporting.process.url}/reports/monthly",
        params={"month": MONTH, "format": "csv"},
        headers=reporting.reader,
        timeout=30,
    )
    assert csv.headers["PKC-Not-Counted"] == "0"
    now, then = expected_figures(months_file, MONTH), expected_figures(months_file, BEFORE)
    for member in Region:
        comparison = region(report, member.value)
        check_figures(comparison["this_month"], now[member.value])
        check_figures(comparison["year_before"], then[member.value])
        change = (now[member.value].share or 0) - (then[member.value].share or 0)
        assert comparison["share_change_points"] == pytest.approx(change * 100, abs=1e-3)
    national = report["national"]["this_month"]
    assert national["contacts"] == 1500
    assert report["national"]["year_before"]["contacts"] == 1200
    assert national["reinforcement_hours_given"] == pytest.approx(
        sum(e.given for e in now.values()), abs=1e-3
    )

    # `pkc report monthly --format json` reads the same store: the same report.
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "pkc.cli",
            "report",
            "monthly",
            "--month",
            MONTH,
            "--format",
            "json",
            "--database-url",
            reporting.database_url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        # The broker and group it measures how far the store has counted against.
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": broker,
            "PKC_REPORTING_MONTHLY_GROUP": reporting.group,
        },
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == report
    assert report["counting"]["caught_up"] is True

    # Replaying the same file again counts nothing twice.
    again = replay(months_file, broker)
    assert again.returncode == 0, again.stderr
    caught_up(reporting, broker)
    assert report_over_http(reporting, MONTH) == report
    check_outputs(reporting)

    # A new database, the same consumer group (whose offsets Kafka holds at the topics' end):
    # the monthly consumer starts where the database is, so it rebuilds from the start.
    reporting.process.stop()
    rebuilt = ServiceProcess(
        "reporting",
        free_port(),
        tmp_path / "rebuilt-logs",
        {
            **reporting.process.env,
            "PKC_STATE_DIR": str(tmp_path / "rebuilt"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'rebuilt' / 'reporting.db'}",
        },
    )
    rebuilt.start()
    try:
        wait_ready([rebuilt], timeout=90)
        poll(
            lambda: report_over_http(reporting, MONTH, rebuilt) == report,
            "the rebuilt database's report to match the first",
            timeout=120,
            interval=0.5,
        )
    finally:
        rebuilt.stop()


def check_outputs(reporting: Service) -> None:
    """The report over CSV, and the chart as PNG and SVG."""
    url = f"{reporting.process.url}/reports/monthly"
    reader = reporting.reader
    csv = httpx.get(url, params={"month": MONTH, "format": "csv"}, headers=reader, timeout=30)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert len(lines) == 1 + 7 + 1
    assert lines[0].startswith("month,region,name,share,")
    png = httpx.get(f"{url}/chart.png", params={"month": MONTH}, headers=reader, timeout=60)
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    svg = httpx.get(f"{url}/chart.svg", params={"month": MONTH}, headers=reader, timeout=60)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    bad_month = httpx.get(url, params={"month": "2025-13"}, headers=reader, timeout=10)
    assert bad_month.status_code == 422
    gif = httpx.get(f"{url}/chart.gif", params={"month": MONTH}, headers=reader, timeout=10)
    assert gif.status_code == 422


def _classified_line(at: datetime) -> str:
    return classified(Region.MITT, waited=0, at=at).to_json().decode()


def test_a_bad_line_stops_the_replay_with_its_number_and_loses_nothing_before_it(
    reporting: Service, broker: str, tmp_path: Path
) -> None:
    start, _ = month_bounds(BAD_MONTH)
    good = [_classified_line(start + timedelta(days=1, hours=i)) for i in range(5)]
    broken = '{"event_type": "Classified", "schema_version": 1, "event_id": "nope"'
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*good[:3], broken, *good[3:]]) + "\n")

    stopped = replay(path, broker)
    assert stopped.returncode == 1
    assert f"{path}:4:" in stopped.stderr
    assert "stopped at line 4" in stopped.stderr
    caught_up(reporting, broker)
    mitt = region(report_over_http(reporting, BAD_MONTH), "mitt")["this_month"]
    assert mitt["contacts"] == 3  # the lines before the bad one, none after it

    skipped = replay(path, broker, "--skip-bad")
    assert skipped.returncode == 0, skipped.stderr
    assert f"{path}:4: skipped" in skipped.stderr
    caught_up(reporting, broker)
    mitt = region(report_over_http(reporting, BAD_MONTH), "mitt")["this_month"]
    assert mitt["contacts"] == 5  # the first three again (counted once) and the last two


def test_a_record_the_monthly_consumer_cannot_read_goes_to_its_dead_letter_topic(
    reporting: Service, broker: str
) -> None:
    group = reporting.group
    asyncio.run(_send_garbage(broker))
    records = asyncio.run(read_until(broker, f"pkc.dlq.{group}", lambda found: len(found) >= 1, 60))
    letter = DeadLetter.of(records[0])
    # Reporting may not read the citizen's text: it keeps no value it cannot read.
    assert letter.value is None
    assert (letter.consumer, letter.topic, letter.attempts) == (group, QUEUE_EVENTS.name, 1)
    assert letter.reason.startswith("not JSON")
    caught_up(reporting, broker)  # and the partition flows on


async def _send_garbage(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(QUEUE_EVENTS.name, b"not an event", key=b"mitt")
    finally:
        await producer.stop()
