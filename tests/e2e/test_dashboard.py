"""The reporting dashboard in a real headless Chromium (Debian's, driven by Playwright): the
person signs in on Keycloak's own login page (authorization code + PKCE), and the figures the
worker counts from Kafka appear and then change on the page without a reload.

The reporting service runs as its own process on the session's broker and Keycloak; the rest
of the platform is not needed for what the page shows.
"""

import asyncio
import struct
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from bench.events import answered_call, publish_timed
from pkc.processes import ServiceProcess
from schemas import Answered, Region
from schemas.topics import QUEUE_EVENTS
from tests.e2e.pages import launch, needs_chromium, page_service, sign_in
from tests.identities import Identities

pytestmark = pytest.mark.kafka
# Event times of this test's own, in a region no other test's worker window reaches.
START = datetime(2027, 9, 6, 8, 0, tzinfo=UTC)  # a Monday, 10:00 in Stockholm
REGION = Region.BERGSLAGEN
VIEWER = "dashboard-viewer"


@pytest.fixture
def reporting(kafka: str, identities: Identities, tmp_path: Path) -> Iterator[ServiceProcess]:
    settings = {
        "PKC_REPORTING_LIVE_INTERVAL_SECONDS": "0.2",
        "PKC_REPORTING_FAUST_APP_ID": f"pkc-reporting-dash-{uuid.uuid4().hex[:8]}",
    }
    with page_service("reporting", kafka, identities, tmp_path, settings) as service:
        yield service


def answered(i: int) -> Answered:
    """The i-th answer in the test's region, after 40 s in the queue (within the threshold)."""
    return answered_call(REGION, START + timedelta(seconds=5 * i), wait_seconds=40)


def publish(kafka: str, events: list[Answered]) -> None:
    """Publishes from a thread of its own: Playwright's sync API holds this thread's loop."""
    sending = publish_timed(kafka, "test-dashboard", events, QUEUE_EVENTS)
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, sending).result(timeout=60)


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct scanline bytes (a blank page has ~1)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = b"", 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(chunks)
    return width, height, len(set(pixels[:200_000]))


@needs_chromium
def test_a_person_signs_in_and_sees_the_figures_update_live(
    kafka: str, identities: Identities, reporting: ServiceProcess, tmp_path: Path
) -> None:
    identities.person(VIEWER, "supervisor", "bergslagen")
    password = identities.provider.secrets().passwords[VIEWER]
    with sync_playwright() as driver:
        browser = launch(driver)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
        # The dashboard sends the person to the issuer's login page, as a browser meets it.
        sign_in(page, f"{reporting.url}/dashboard", identities.issuer, VIEWER, password)
        assert "code=" not in page.url, "the authorization code is gone from the address bar"
        expect(page.locator("#who")).to_have_text(f"inloggad som {VIEWER}", timeout=30_000)
        cards = page.locator("#regions .card .name")
        expect(cards).to_have_text(
            ["Bergslagen", "Mitt", "Nord", "Stockholm", "Syd", "Väst", "Öst"], timeout=30_000
        )
        expect(page.locator("body")).to_contain_text("Mål 85 % (07:00–20:00)")
        assert "pkc.token" not in page.url

        # Answers counted by the worker reach the open page over the stream.
        card = page.locator('.card[data-region="bergslagen"]')
        publish(kafka, [answered(i) for i in range(3)])
        expect(card.locator(".meta")).to_contain_text("besvarade 3", timeout=60_000)
        expect(card.locator(".share")).to_have_text("100,0 %")
        expect(card.locator(".badge.low")).to_have_text("låg volym")  # 3 is too few to judge
        expect(page.locator("#status")).to_contain_text("uppdaterad")
        publish(kafka, [answered(i) for i in range(3, 5)])
        expect(card.locator(".meta")).to_contain_text("besvarade 5", timeout=60_000)

        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot))
        browser.close()
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1280, 900)
    assert colours > 20, "the screenshot is not a blank page"
