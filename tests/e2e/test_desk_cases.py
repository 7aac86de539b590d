"""The desk's case panel in a real headless Chromium (Debian's, driven by Playwright): an
operator files a report from the desk, opens the case from the wrap-up and reads its secret,
adds a note the citizen may see and an internal one, and closes the case; the citizen then
opens the case on the /case page with its number and that secret, and sees the visible note
and the closing (not the internal note). Nothing of the case stays in the browser's storage.

Queueing runs as its own process on the session's broker and Keycloak; the contact arrives as
triage hands it over, a `Classified` event on Kafka, and the case is kept by queueing once it
has read its own `CaseCreated` back.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from pkc.processes import ServiceProcess
from schemas import Region
from tests.e2e.pages import launch, needs_chromium, page_service, sign_in
from tests.e2e.test_desk import contact, publish, shot
from tests.identities import Identities

pytestmark = pytest.mark.kafka
REGION = Region.NORD
OPERATOR = "desk-case-operator"
WRAP_UP_SECONDS = 60  # the wrap-up's button opens the case: time to reach it on a busy machine
SECRET = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$")
VISIBLE = "Vi har tagit emot din anmälan om stölden."
INTERNAL = "Internt: kontrollera kvittot mot butikens kassa."


@pytest.fixture
def queueing(kafka: str, identities: Identities, tmp_path: Path) -> Iterator[ServiceProcess]:
    settings = {
        "PKC_QUEUEING_CLOSED_OUTCOME": "queue",  # whatever the hour the test runs at
        "PKC_QUEUEING_WRAP_UP_SECONDS": str(WRAP_UP_SECONDS),
        "PKC_QUEUEING_OFFER_TIMEOUT_SECONDS": "60",
    }
    with page_service("queueing", kafka, identities, tmp_path, settings) as service:
        yield service


@needs_chromium
def test_an_operator_files_a_case_tells_its_secret_notes_and_closes_it(
    kafka: str, identities: Identities, queueing: ServiceProcess
) -> None:
    identities.person(OPERATOR, "operator", REGION.value)
    password = identities.provider.secrets().passwords[OPERATOR]
    problems: list[str] = []
    with sync_playwright() as driver:
        browser = launch(driver)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="sv-SE")
        page.on("console", lambda m: _console(m, problems))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        _sign_in(page, queueing, identities, password)
        number, code = _file_a_report(page, kafka)
        _note_and_close(page, OPERATOR)
        stored = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}])")
        assert code not in stored, "the secret is not kept in the browser's storage"
        assert number not in stored
        _citizen_follows(browser, queueing, number, code)
        browser.close()
    # A record asked for before queueing has read the case back is a 404 the panel retries.
    assert [p for p in problems if not p.startswith("console: 404")] == [], problems


def _sign_in(page: Page, queueing: ServiceProcess, identities: Identities, password: str) -> None:
    sign_in(page, f"{queueing.url}/desk", identities.issuer, OPERATOR, password)
    page.get_by_role("button", name="Logga in på desken (redo)").click()
    expect(page.locator("#presence")).to_have_text("Redo – väntar på erbjudande", timeout=30_000)


def _file_a_report(page: Page, kafka: str) -> tuple[str, str]:
    """Takes the offered contact, files a report, opens the case from the wrap-up and reads
    its secret: the case's number and secret as the operator sees them."""
    expect(page.locator("#case-shown")).to_be_hidden()  # no case before one is opened
    publish(kafka, [contact(45)])
    expect(page.locator("#offer")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Ta emot").click()
    page.get_by_role("button", name="Svara").click()
    expect(page.locator("#c-state")).to_have_text("besvarad")
    page.locator("#outcome").select_option("report_filed")
    page.get_by_role("button", name="Registrera utfall").click()
    expect(page.locator("#presence")).to_have_text("Efterarbete", timeout=15_000)
    result = page.locator("#wrapup-result")
    expect(result).to_contain_text("Ärende K")
    number = re.search(r"K\d{7}-\d{2}", result.inner_text())
    assert number is not None, result.inner_text()
    page.get_by_role("button", name="Visa ärendet och koden till medborgaren").click()

    panel = page.locator("#casework")
    expect(page.locator("#k-number")).to_have_text(number.group(), timeout=30_000)
    expect(page.locator("#k-status")).to_have_text("Öppet")
    expect(page.locator("#k-region")).to_have_text("Nord")
    expect(page.locator("#k-matter")).to_have_text("Stöld")
    expect(page.locator("#k-secret")).to_have_text(SECRET)
    expect(page.get_by_role("button", name="Visa koden")).to_be_hidden()
    history = panel.locator("#k-history li")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("skapat (operatör")
    shot(page, "case-opened")
    return number.group(), page.locator("#k-secret").inner_text()


def _note_and_close(page: Page, operator: str) -> None:
    history = page.locator("#k-history li")
    page.get_by_label("Anteckning").fill(VISIBLE)
    page.get_by_label("Synlig för medborgaren").check()
    page.get_by_role("button", name="Lägg till anteckningen").click()
    expect(page.locator("#k-message")).to_have_text("Anteckningen är tillagd.")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text(
        f"anteckning (operatör, {operator}) – synlig för medborgaren: {VISIBLE}"
    )
    expect(page.get_by_label("Anteckning")).to_have_value("")  # ready for the next one
    page.get_by_label("Anteckning").fill(INTERNAL)
    page.get_by_role("button", name="Lägg till anteckningen").click()
    expect(history).to_have_count(3)
    expect(history.nth(2)).to_contain_text(f"– intern: {INTERNAL}")

    page.get_by_label("Avslutsorsak").select_option("referred")
    page.get_by_role("button", name="Avsluta ärendet").click()
    expect(page.locator("#k-message")).to_have_text("Ärendet är avslutat.")
    expect(page.locator("#k-status")).to_have_text("Avslutat (Överlämnat till utredning)")
    expect(history).to_have_count(4)
    expect(history.nth(3)).to_contain_text("avslutat (operatör")
    expect(page.locator("#k-note")).to_be_hidden()  # a closed case takes no more
    expect(page.locator("#k-close")).to_be_hidden()
    shot(page, "case-closed")

    page.get_by_role("button", name="English").click()
    expect(page.locator("#k-status")).to_have_text("Closed (Referred to investigation)")
    expect(history.nth(1)).to_contain_text(f"note (operator, {operator}) – visible to the citizen")
    page.get_by_role("button", name="Svenska").click()


def _citizen_follows(browser: Browser, queueing: ServiceProcess, number: str, code: str) -> None:
    """The citizen, in a browser of their own (no sign-in), with the number and the code."""
    citizen = browser.new_context(locale="sv-SE").new_page()
    citizen.goto(f"{queueing.url}/case")
    citizen.get_by_label("Ärendenummer").fill(number)
    citizen.get_by_label("Kod").fill(code)
    citizen.get_by_role("button", name="Visa ärendet").click()
    expect(citizen.locator("#status")).to_have_text("Avslutat (Closed)")
    history = citizen.locator("#history li")
    expect(history).to_have_count(3)  # created, the visible note, closed
    expect(history.nth(1)).to_contain_text(VISIBLE)
    expect(history.nth(2)).to_contain_text("Överlämnat till utredning")
    expect(citizen.locator("#history")).not_to_contain_text("Internt")
    expect(citizen.locator("#add")).to_be_hidden()


def _console(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        # Chromium reports a refused fetch as "Failed to load resource: ... 404 (Not Found)".
        problems.append("console: 404" if "404" in message.text else f"console: {message.text}")
