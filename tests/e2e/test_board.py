"""The supervisor board in a real headless Chromium (Debian's, driven by Playwright): a
national supervisor signs in on Keycloak's own login page (authorization code + PKCE), sees an
operator's state change live as the operator works through queueing's API, orders a
reinforcement and force-signs-out the operator; and sees a region's service level and staffing
from a real reporting process and acknowledges a real notify's alert, both read from the
browser with the supervisor's token (CORS: PKC_PAGE_ORIGINS). Each service runs as its own
process on the session's broker and Keycloak."""

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from bench.events import publish_timed
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from schemas import Region, SlaBreached, SlaWindow
from schemas.envelope import Event
from schemas.topics import QUEUE_EVENTS, SLA_EVENTS, Topic
from tests import contact_events
from tests.e2e.pages import allow_origin, launch, needs_chromium, page_service, sign_in
from tests.e2e.test_dashboard import png_size_and_colours
from tests.identities import Identities

pytestmark = pytest.mark.kafka
SUPERVISOR = "board-national"


@pytest.fixture
def queueing(kafka: str, identities: Identities, tmp_path: Path) -> Iterator[ServiceProcess]:
    settings = {
        "PKC_QUEUEING_LIVE_INTERVAL_SECONDS": "0.2",
    }
    with page_service("queueing", kafka, identities, tmp_path, settings) as service:
        yield service


@needs_chromium
def test_a_supervisor_sees_an_operator_live_orders_reinforcement_and_signs_them_out(
    identities: Identities, queueing: ServiceProcess, tmp_path: Path
) -> None:
    identities.person(SUPERVISOR, "supervisor", "national")
    password = identities.provider.secrets().passwords[SUPERVISOR]
    operator_name = f"board-op-{uuid.uuid4().hex[:6]}"
    operator = identities.person(operator_name, "operator", "syd")
    api = httpx.Client(base_url=queueing.url, headers=operator, timeout=15)
    assert api.post("/operators/login", json={}).status_code == 200
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = launch(driver)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="sv-SE")
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status == 404 else None
        )
        sign_in(page, f"{queueing.url}/board", identities.issuer, SUPERVISOR, password)
        expect(page.locator("#who")).to_have_text(f"inloggad som {SUPERVISOR}", timeout=30_000)
        expect(page.locator("#regions .card .name")).to_have_count(7, timeout=30_000)
        row = page.locator(f'#operators tr[data-name="{operator_name}"]')
        expect(row.locator(".state")).to_have_text("redo", timeout=30_000)
        syd = page.locator('.card[data-region="syd"] .staff')
        expect(syd).to_contain_text("redo 1")
        # This queueing names no reporting nor notify: the board says so and reads on.
        expect(page.locator("#sla-status")).to_contain_text("Servicenivå: inte konfigurerad")
        expect(page.locator("#alerts-status")).to_contain_text("Larm: inte konfigurerade")

        # The operator pauses through queueing's API: the open board shows it, no reload.
        assert api.post("/operators/me/pause", json={"reason": "rast"}).status_code == 200
        expect(row.locator(".state")).to_have_text("paus (rast)", timeout=10_000)
        expect(syd).to_contain_text("paus 1")

        # Order a reinforcement of Syd from Mitt with the form.
        page.locator("#order-region").select_option("syd")
        page.locator("#order-donor").select_option("mitt")
        page.locator("#order-submit").click()
        order = page.locator("#orders tr").filter(has_text="Syd")
        expect(order).to_contain_text("Mitt 2", timeout=10_000)
        expect(order).to_contain_text(SUPERVISOR)

        # Force the operator's sign-out from the board.
        row.locator("button.signout").click()
        expect(row.locator(".state")).to_have_text("utloggad", timeout=10_000)
        assert api.get("/operators/me").status_code == 403, "their session is over"

        page.locator("#lang").click()
        expect(page.locator("h1")).to_have_text("Supervisor board – whole country")
        expect(row.locator(".state")).to_have_text("signed out")
        expect(page.locator("#who")).to_have_text(f"signed in as {SUPERVISOR}")
        shot = tmp_path / "board.png"
        page.screenshot(path=str(shot))
        browser.close()
    audit = api.get("/audit", params={"person": SUPERVISOR}, headers=identities.person("auditor"))
    kinds = [r["kind"] for r in audit.json()]
    assert kinds[:2] == ["forced_sign_out", "order_created"], kinds
    assert errors == [], errors
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1280, 800)
    assert colours > 20, "the screenshot is not a blank page"


# Reporting's feed: event times of this test's own, newer than any other test's in the region.
SLA_START = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Stockholm
SLA_REGION = Region.NORD
SLA_SUPERVISOR = "board-sla-national"


def process(name: str, port: int, kafka: str, tmp: Path, extra: dict[str, str]) -> ServiceProcess:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PKC_STATE_DIR": str(tmp / name),
        "PKC_TRACES_EXPORTER": "none",
    }
    return ServiceProcess(name, port, tmp / "logs", env | extra)


@pytest.fixture
def board_platform(
    kafka: str, identities: Identities, tmp_path: Path
) -> Iterator[dict[str, ServiceProcess]]:
    """Queueing with the board, and the reporting and notify it reads from the browser: both
    allow the board's origin and nothing else, as `pkc run` sets them up."""
    ports = {name: free_port() for name in ("queueing", "reporting", "notify")}
    board = f"http://127.0.0.1:{ports['queueing']}"
    allow_origin(identities, board)
    shared = {"PKC_OIDC_ISSUER": identities.issuer, "PKC_PAGE_ORIGINS": board}
    run = f"{uuid.uuid4().hex[:8]}"
    services = {
        "reporting": process(
            "reporting",
            ports["reporting"],
            kafka,
            tmp_path,
            shared
            | {
                "PKC_REPORTING_LIVE_INTERVAL_SECONDS": "0.2",
                "PKC_REPORTING_FAUST_APP_ID": f"pkc-reporting-board-{run}",
            },
        ),
        "notify": process("notify", ports["notify"], kafka, tmp_path, shared),
        "queueing": process(
            "queueing",
            ports["queueing"],
            kafka,
            tmp_path,
            shared
            | {
                "PKC_QUEUEING_LIVE_INTERVAL_SECONDS": "0.2",
                "PKC_QUEUEING_REPORTING_URL": f"http://127.0.0.1:{ports['reporting']}",
                "PKC_QUEUEING_NOTIFY_URL": f"http://127.0.0.1:{ports['notify']}/",
            },
        ),
    }
    for service in services.values():
        service.start()
    try:
        wait_ready(list(services.values()), timeout=120)
        yield services
    finally:
        for service in services.values():
            service.stop()


def publish_on(kafka: str, events: list[Event], topic: Topic) -> None:
    """Publishes from a thread of its own: Playwright's sync API holds this thread's loop."""
    sending = publish_timed(kafka, "test-board", events, topic)
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, sending).result(timeout=60)


def percent(share: float) -> str:
    return f"{100 * share:.1f}".replace(".", ",") + " %"


@needs_chromium
def test_the_board_shows_reportings_service_level_and_acknowledges_notifys_alert(
    kafka: str, identities: Identities, board_platform: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    supervisor = identities.person(SLA_SUPERVISOR, "supervisor", "national")
    password = identities.provider.secrets().passwords[SLA_SUPERVISOR]
    queueing, reporting, notify = (board_platform[n] for n in ("queueing", "reporting", "notify"))
    # Four calls queue in Nord, three are answered within the threshold: reporting counts them.
    calls = [SLA_START + timedelta(minutes=i) for i in range(4)]
    feed: list[Event] = [contact_events.queued(at, region=SLA_REGION) for at in calls]
    feed += [contact_events.answered(at, 40, region=SLA_REGION) for at in calls[:3]]
    publish_on(kafka, feed, QUEUE_EVENTS)
    # Syd breaches now: notify raises an alert for Syd's on-call staff and supervisors.
    now = datetime.now(UTC)
    window = SlaWindow(start=now - timedelta(hours=1), end=now, answered_within=6, share=0.6)
    breach = SlaBreached(
        occurred_at=now, region=Region.SYD, episode_id=uuid.uuid4(), window=window, target=0.85
    )
    publish_on(kafka, [breach], SLA_EVENTS)
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = launch(driver)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="sv-SE")
        # Console errors include a CORS refusal of reporting's or notify's answers.
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("requestfailed", lambda r: errors.append(f"failed {r.url}"))
        sign_in(page, f"{queueing.url}/board", identities.issuer, SLA_SUPERVISOR, password)

        card = page.locator(f'.card[data-region="{SLA_REGION.value}"] .sla')
        expect(card.locator(".share")).to_have_text("100,0 %", timeout=60_000)
        expect(card).to_contain_text("servicenivå nu 100,0 % (mål 85,0 %)")
        rows = httpx.get(f"{reporting.url}/sla", headers=supervisor, timeout=15).json()
        (nord,) = [r for r in rows if r["region"] == SLA_REGION.value]
        assert nord["window"]["offered"] == 4
        staffing = nord["staffing"]
        expect(card.locator(".needed-c")).to_have_text(str(staffing["operators_needed_erlang_c"]))
        expect(card.locator(".staffing")).to_contain_text(
            f"i tjänst {staffing['operators_present']}"
        )
        expect(card.locator(".predicted")).to_have_text(percent(nord["predicted_share"]))

        alert = page.locator('#alerts tr[data-region="syd"]')
        expect(alert.locator(".kind")).to_have_text("under målet", timeout=60_000)
        page.locator("#lang").click()
        expect(alert.locator("button.ack")).to_have_text("Acknowledge")
        expect(card).to_contain_text("service level now 100.0 % (target 85.0 %)")
        page.locator("#lang").click()
        # Acknowledged from the keyboard: the button takes focus and Enter presses it.
        alert.locator("button.ack").focus()
        page.keyboard.press("Enter")
        expect(alert).to_have_count(0, timeout=15_000)
        expect(page.locator("#alerts")).to_contain_text("inga öppna larm")
        page.screenshot(path=str(tmp_path / "board-sla.png"))
        seen = list(errors)  # closing the browser ends its open streams: not the page's errors
        browser.close()
    log = httpx.get(
        f"{notify.url}/alerts/log",
        params={"person": SLA_SUPERVISOR},
        headers=identities.person("auditor"),
        timeout=15,
    ).json()
    assert [e["action"] for e in log] == ["acknowledged"], "audited as the supervisor"
    assert seen == [], seen
