"""Completeness on real Kafka: events published while nothing consumes them show as lag on
/readyz and as a warning on the monthly report; once consumed, lag 0 and no warning."""

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi.testclient import TestClient

from pkc.polling import poll
from schemas import Region
from schemas.topics import CONTACTS_RECEIVED, REPORTING, REPORTING_MONTHLY, TRIAGE, Topic
from services.reporting.bootstrap import bootstrap, http_app, monthly_reader
from services.reporting.monthly.months import month_of
from services.reporting.settings import ReportingSettings
from services.shared.kafka import EventProducer
from services.shared.kafka.lag import LagProbe
from services.triage.app import create_app
from services.triage.settings import TriageSettings
from tests.contact_events import queued
from tests.kafka_helpers import contact, count_month

pytestmark = pytest.mark.kafka
N = 7


async def _publish(bootstrap: str, events: list[Any]) -> None:
    producer = EventProducer(bootstrap, "lag-test")
    await producer.start()
    try:
        for event in events:
            await producer.publish(event)
    finally:
        await producer.stop()


async def _commit_at_end(bootstrap: str, group: str, topic: str, partitions: int) -> None:
    """The group has read everything there is: what comes next is all its lag."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        owned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(owned)
        ends = await consumer.end_offsets(owned)
        await consumer.commit(dict(ends.items()))
    finally:
        await consumer.stop()


def test_readyz_shows_the_lag_until_the_consumer_catches_up(kafka: str, state_dir: Path) -> None:
    asyncio.run(_commit_at_end(kafka, TRIAGE.group, CONTACTS_RECEIVED.name, 6))
    asyncio.run(_publish(kafka, [contact("Min cykel blev stulen i går.") for _ in range(N)]))
    settings = TriageSettings(kafka_bootstrap_servers=kafka, state_dir=state_dir, caught_up_lag=0)
    app = create_app(settings)

    # Not started: nothing consumes (and so not ready), and the lag says what waits.
    unstarted = TestClient(app)

    def measured() -> dict[str, Any] | None:
        before = unstarted.get("/readyz")
        assert before.status_code == 503
        body: dict[str, Any] = before.json()
        return body if body["lag"]["triage"]["total"] is not None else None

    body = poll(measured, "a first measurement of triage's lag", timeout=30)
    assert body["caught_up"] is False
    triage = body["lag"]["triage"]
    assert triage["total"] == N, triage.get("error")
    assert {p["topic"] for p in triage["partitions"]} == {CONTACTS_RECEIVED.name}
    assert sum(p["lag"] for p in triage["partitions"]) == N
    assert all(p["lag"] == p["end"] - p["position"] for p in triage["partitions"])

    with TestClient(app) as client:

        def caught_up() -> bool:
            answer = client.get("/readyz")
            return answer.status_code == 200 and answer.json()["caught_up"] is True

        poll(caught_up, "triage has read what was published", timeout=60, interval=0.5)
        assert client.get("/readyz").json()["lag"]["triage"]["total"] == 0


async def _unread(bootstrap: str, topics: tuple[Topic, ...]) -> int:
    """Everything on `topics`: what a group that never read them is behind."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
        ends = await consumer.end_offsets(partitions)
        beginnings = await consumer.beginning_offsets(partitions)
    finally:
        await consumer.stop()
    return sum(ends[tp] - beginnings[tp] for tp in partitions)


def test_reporting_readyz_shows_the_worker_and_the_monthly_lag(kafka: str, state_dir: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    settings = ReportingSettings(
        kafka_bootstrap_servers=kafka,
        state_dir=state_dir,
        faust_app_id=f"pkc-reporting-lag-{tag}",
        monthly_group=f"reporting-monthly-lag-{tag}",
    )
    asyncio.run(_publish(kafka, [queued(datetime.now(UTC)) for _ in range(N)]))
    service = bootstrap(settings)
    unstarted = TestClient(http_app(service))

    def measured() -> dict[str, Any] | None:
        lag: dict[str, Any] = unstarted.get("/readyz").json()["lag"]
        return lag if all(group["total"] is not None for group in lag.values()) else None

    lag = poll(measured, "a first measurement of reporting's lag", timeout=30)
    # Neither the Faust worker's group nor the monthly store has read anything yet (the
    # monthly consumer reads the citizens' ratings too).
    everything = asyncio.run(_unread(kafka, REPORTING.topics))
    assert everything >= N
    assert lag[settings.faust_app_id]["total"] == everything
    monthly = asyncio.run(_unread(kafka, REPORTING_MONTHLY.topics))
    assert lag[settings.monthly_group]["total"] == monthly
    service.monthly_store.engine.dispose()


def _report_cli(reader_env: dict[str, str], month: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pkc.cli", "report", "monthly", "--month", month],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **reader_env, "COLUMNS": "250"},
    )


def test_the_monthly_report_warns_until_every_event_is_counted(kafka: str, state_dir: Path) -> None:
    database_url = f"sqlite:///{state_dir / 'reporting.db'}"
    group = f"reporting-monthly-lag-{uuid.uuid4().hex[:8]}"
    settings = ReportingSettings(
        kafka_bootstrap_servers=kafka, state_dir=state_dir, monthly_group=group
    )
    reader = monthly_reader(settings, database_url)
    # This store has counted everything on the topics so far (other tests' events).
    ends = asyncio.run(reader.lag.measure())
    reader.store.apply({}, {(p.topic, p.partition): p.end for p in ends.partitions})
    received = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm: in service hours
    month = month_of(received)
    asyncio.run(_publish(kafka, [queued(received, region=Region.SYD) for _ in range(N)]))

    behind = reader.report(month, asyncio.run(reader.lag.measure())).counting
    assert behind is not None
    assert not behind.caught_up
    assert behind.not_counted == N
    cli_env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PKC_REPORTING_MONTHLY_GROUP": group,
        "DATABASE_URL": database_url,
    }
    cli = _report_cli(cli_env, month)
    assert cli.returncode == 0, cli.stderr
    assert f"{N} events are not counted yet" in cli.stderr
    assert f"{N} händelser är ännu inte räknade" in cli.stderr

    asyncio.run(count_month(reader, settings, timeout=60))
    report = reader.report(month, asyncio.run(reader.lag.measure()))
    assert report.counting is not None
    assert report.counting.caught_up
    assert report.counting.warning_en is None
    assert report.national.this_month.offered == N  # this store counts from the priming on
    cli = _report_cli(cli_env, month)
    assert cli.returncode == 0, cli.stderr
    assert "Warning" not in cli.stderr
    assert "Varning" not in cli.stderr


def test_an_unreachable_broker_is_unknown_lag_and_a_warning(state_dir: Path) -> None:
    reader = monthly_reader(
        ReportingSettings(kafka_bootstrap_servers="127.0.0.1:1", state_dir=state_dir),
        f"sqlite:///{state_dir / 'reporting.db'}",
    )
    lag = asyncio.run(reader.lag.measure())
    assert lag.total is None
    assert lag.error
    counting = reader.report("2025-03", lag).counting
    assert counting is not None
    assert counting.not_counted is None
    assert counting.warning_en is not None


def test_a_probe_measures_at_most_once_per_ttl(kafka: str) -> None:
    asked = 0

    async def positions() -> dict[tuple[str, int], int]:
        nonlocal asked
        asked += 1
        return {}

    async def twice() -> None:
        probe = LagProbe(kafka, "g", [CONTACTS_RECEIVED.name], positions=positions, ttl=60)
        first, second = await asyncio.gather(probe(), probe())
        assert first is second
        assert await probe() is first

    asyncio.run(twice())
    assert asked == 1
