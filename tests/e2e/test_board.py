"""The supervisor board in a real headless Chromium (Debian's, driven by Playwright): a
national supervisor signs in on Keycloak's own login page (authorization code + PKCE), sees an
operator's state change live as the operator works through queueing's API, orders a
reinforcement and force-signs-out the operator. Queueing runs as its own process on the
session's broker and Keycloak."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from tests.e2e.test_dashboard import CHROMIUM, allow_origin, png_size_and_colours
from tests.identities import Identities

pytestmark = pytest.mark.kafka
SUPERVISOR = "board-national"


@pytest.fixture
def queueing(kafka: str, identities: Identities, tmp_path: Path) -> Iterator[ServiceProcess]:
    port = free_port()
    allow_origin(identities, f"http://127.0.0.1:{port}")
    service = ServiceProcess(
        "queueing",
        port,
        tmp_path / "logs",
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "PKC_STATE_DIR": str(tmp_path),
            "PKC_TRACES_EXPORTER": "none",
            "PKC_OIDC_ISSUER": identities.issuer,
            "PKC_QUEUEING_LIVE_INTERVAL_SECONDS": "0.2",
        },
    )
    service.start()
    wait_ready([service], timeout=90)
    yield service
    service.stop()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (CI installs it)")
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
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="sv-SE")
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status == 404 else None
        )
        page.goto(f"{queueing.url}/board")
        page.wait_for_url(f"{identities.issuer}/**")
        page.locator("#username").fill(SUPERVISOR)
        page.locator("#password").fill(password)
        page.locator("#kc-login").click()

        page.wait_for_url(f"{queueing.url}/board")
        expect(page.locator("#who")).to_have_text(f"inloggad som {SUPERVISOR}", timeout=30_000)
        expect(page.locator("#regions .card .name")).to_have_count(7, timeout=30_000)
        row = page.locator(f'#operators tr[data-name="{operator_name}"]')
        expect(row.locator(".state")).to_have_text("redo", timeout=30_000)
        syd = page.locator('.card[data-region="syd"] .staff')
        expect(syd).to_contain_text("redo 1")

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
