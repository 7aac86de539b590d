"""Satisfaction and the per-channel report on real Kafka: adapters post contacts and then the
citizens' ratings to intake; a rating twice is 409, another adapter's contact 404; the ratings
reach reporting's monthly report per region and channel (the comment's text never leaves
intake); queue events of calls and letters give the report per channel and need category, and
`pkc report monthly` prints it in full at 80 columns through a pipe, in Swedish and English."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas import Channel, NeedCategory, Region
from schemas.envelope import Event
from schemas.topics import RATINGS
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from services.reporting.bootstrap import MonthlyReader, monthly_reader
from services.reporting.monthly.labels import NBSP
from services.reporting.monthly.months import month_of
from services.reporting.settings import ReportingSettings
from services.shared.kafka import EventProducer
from tests.contact_events import answered, queued
from tests.identities import Identities
from tests.kafka_helpers import count_month, read_until

pytestmark = pytest.mark.kafka
# Wednesday 12 March 2025, 10:00 in Stockholm (in the calls' hours); 23:00 for a letter.
MORNING = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
NIGHT = datetime(2025, 3, 12, 22, 0, tzinfo=UTC)
COMMENT = "Tack! Ring mig på 070-123 45 67, Anna Svensson"


async def _publish(bootstrap: str, events: list[Event]) -> None:
    producer = EventProducer(bootstrap, "ratings-test")
    await producer.start()
    try:
        for event in events:
            await producer.publish(event)
    finally:
        await producer.stop()


def _contact(client: TestClient, headers: dict[str, str], region: str, channel: str) -> str:
    response = client.post(
        "/contacts",
        headers=headers,
        json={
            "idempotency_key": f"rate-{uuid.uuid4().hex}",
            "source": "ratings-test",
            "region": region,
            "channel": channel,
            "text": "Jag vill veta hur det går med min anmälan",
        },
    )
    assert response.status_code == 202, response.text
    return str(response.json()["contact_id"])


def _rate(
    client: TestClient, headers: dict[str, str], contact_id: str, rating: int, comment: str = ""
) -> int:
    body: dict[str, Any] = {"rating": rating, "comment": comment}
    response = client.post(f"/contacts/{contact_id}/rating", headers=headers, json=body)
    return int(response.status_code)


@pytest.fixture
def reader(kafka: str, state_dir: Path) -> tuple[MonthlyReader, ReportingSettings]:
    """A monthly store of its own that has counted everything on the topics so far."""
    settings = ReportingSettings(
        kafka_bootstrap_servers=kafka,
        state_dir=state_dir,
        monthly_group=f"reporting-monthly-ratings-{uuid.uuid4().hex[:8]}",
    )
    monthly = monthly_reader(settings, f"sqlite:///{state_dir / 'reporting.db'}")
    ends = asyncio.run(monthly.lag.measure())
    monthly.store.apply({}, {(p.topic, p.partition): p.end for p in ends.partitions})
    return monthly, settings


def test_ratings_reach_the_monthly_report_per_region_and_channel(
    kafka: str,
    state_dir: Path,
    identities: Identities,
    reader: tuple[MonthlyReader, ReportingSettings],
) -> None:
    phone, mail = identities.adapter("adapter-phone"), identities.adapter("adapter-mail")
    settings = IntakeSettings(
        kafka_bootstrap_servers=kafka, state_dir=state_dir, oidc_issuer=identities.issuer
    )
    with TestClient(create_app(settings)) as client:
        nord = [_contact(client, phone, "nord", "phone") for _ in range(2)]
        syd_letter = _contact(client, mail, "syd", "mail")
        unrated = _contact(client, phone, "nord", "phone")
        assert _rate(client, phone, nord[0], 5) == 202
        assert _rate(client, phone, nord[1], 2, COMMENT) == 202
        assert _rate(client, mail, syd_letter, 4) == 202
        # Bad input: twice, another adapter's contact, no such contact, out of range.
        assert _rate(client, phone, nord[0], 5) == 409
        assert _rate(client, phone, nord[0], 1) == 409
        assert _rate(client, mail, unrated, 3) == 404
        assert _rate(client, phone, str(uuid.uuid4()), 3) == 404
        assert _rate(client, phone, unrated, 6) == 422
        month = month_of(datetime.now(UTC))

    def three_rated(records: list[Any]) -> bool:
        ids = {json.loads(r.value)["contact_id"] for r in records}
        return {*nord, syd_letter} <= ids

    records = asyncio.run(read_until(kafka, RATINGS.name, three_rated))
    ours = [r for r in records if json.loads(r.value)["contact_id"] in {*nord, syd_letter}]
    assert len(ours) == 3  # the refused ratings published nothing
    # The number as the citizen wrote it: a bare "070" also turns up in ids and timestamps.
    assert not any(b"070-123" in r.value or b"Svensson" in r.value for r in ours)

    monthly, reporting = reader
    asyncio.run(count_month(monthly, reporting))
    report = monthly.report(month)
    regions = {c.region: c.this_month for c in report.regions}
    nord_phone = regions["nord"].satisfaction_by_channel["phone"]
    assert (nord_phone.ratings, nord_phone.mean, nord_phone.commented) == (2, 3.5, 1)
    syd_mail = regions["syd"].satisfaction_by_channel["mail"]
    assert (syd_mail.ratings, syd_mail.mean) == (1, 4.0)
    assert regions["syd"].satisfaction_by_channel["phone"].ratings == 0
    national = report.national.this_month.satisfaction
    assert (national.ratings, national.mean) == (3, round(11 / 3, 3))
    assert report.trend[-1].ratings == 3


def _cli(database_url: str, group: str, kafka: str, *args: str) -> str:
    """`pkc report monthly` through a pipe (its output captured) on an 80-column terminal."""
    done = subprocess.run(
        [sys.executable, "-m", "pkc.cli", "report", "monthly", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={
            **os.environ,
            "COLUMNS": "80",
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "PKC_REPORTING_MONTHLY_GROUP": group,
        },
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_report_per_channel_and_category_prints_in_full_at_80_columns(
    kafka: str, state_dir: Path, reader: tuple[MonthlyReader, ReportingSettings]
) -> None:
    urgent = NeedCategory.URGENT
    events: list[Event] = [
        queued(MORNING, region=Region.VAST),
        answered(MORNING, 120, region=Region.VAST, category=urgent),
        answered(MORNING, 900, region=Region.VAST, category=urgent),
        answered(MORNING, 60, region=Region.VAST),
        # A letter at 23:00, handled the next afternoon (within 24 h), and one late.
        queued(NIGHT, region=Region.VAST, channel=Channel.MAIL),
        answered(NIGHT, 16 * 3600, region=Region.VAST, channel=Channel.MAIL),
        answered(NIGHT, 30 * 3600, region=Region.VAST, channel=Channel.MAIL),
        answered(MORNING - timedelta(days=365), 60, region=Region.VAST),  # March 2024
    ]
    asyncio.run(_publish(kafka, events))
    monthly, settings = reader
    asyncio.run(count_month(monthly, settings))
    report = monthly.report("2025-03")
    vast = next(c for c in report.regions if c.region == "vast").this_month
    assert vast.share == pytest.approx(2 / 3)
    mail = vast.channels["mail"]
    assert (mail.offered, mail.answered, mail.answered_within, mail.share) == (1, 2, 1, 0.5)
    assert mail.threshold_seconds == 24 * 3600
    categories = vast.categories
    assert (categories["urgent"].answered, categories["urgent"].share) == (2, 0.5)
    assert categories["case_help"].share == 1.0
    assert report.trend[-1].month == "2025-03"
    assert report.national.year_before is not None

    database_url = f"sqlite:///{state_dir / 'reporting.db'}"
    group = settings.monthly_group
    swedish = _cli(database_url, group, kafka, "--month", "2025-03")
    english = _cli(database_url, group, kafka, "--month", "2025-03", "--lang", "en")
    for text, share, mail_share in (
        (swedish, f"66,7{NBSP}%", f"50,0{NBSP}%"),
        (english, f"66.7{NBSP}%", f"50.0{NBSP}%"),
    ):
        assert "…" not in text
        assert max(len(line) for line in text.splitlines()) <= 80
        vast_line = next(line for line in text.splitlines() if line.startswith("Väst"))
        assert share in vast_line
        assert mail_share in text
    assert "Per behovskategori" in swedish
    assert "Brev" in swedish
    assert "Per need category" in english
    assert "Mail" in english
