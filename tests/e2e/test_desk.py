"""The operator desk in a real headless Chromium (Debian's, driven by Playwright): an operator
signs in on Keycloak's own login page, goes ready, gets contacts pushed while the page is open,
rejects one (it goes back to its place), accepts it again, reads its context card, answers,
records an outcome that opens a case and goes through wrap-up, then transfers the next contact
to another region's queue (a response lost on the way back, retried under its Idempotency-Key),
with no console error but the one the lost response makes.

Queueing runs as its own process on the session's broker and Keycloak; contacts arrive as
triage hands them over, as `Classified` events on Kafka.
"""

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect, sync_playwright

from bench.events import publish_timed, theft_report
from pkc.processes import ServiceProcess
from schemas import Classified, NeedCategory, Region
from schemas.topics import CONTACTS_CLASSIFIED
from tests.e2e.pages import launch, needs_chromium, page_service, sign_in
from tests.identities import Identities

pytestmark = pytest.mark.kafka
ARTIFACTS = Path(__file__).parents[1] / "artifacts"  # git-ignored
REGION = Region.NORD
RECEIVING = Region.SYD  # where the desk transfers a contact to
OPERATOR = "desk-operator"
WRAP_UP_SECONDS = 10  # long enough to read the wrap-up on a busy machine


@pytest.fixture
def queueing(kafka: str, identities: Identities, tmp_path: Path) -> Iterator[ServiceProcess]:
    settings = {
        # Contacts queue whatever the hour the test runs at.
        "PKC_QUEUEING_CLOSED_OUTCOME": "queue",
        "PKC_QUEUEING_WRAP_UP_SECONDS": str(WRAP_UP_SECONDS),
        "PKC_QUEUEING_OFFER_TIMEOUT_SECONDS": "60",
        # A transfer is refused into a closed queue.
        "PKC_QUEUEING_OPENING_HOURS": "urgent=00:00-24:00,crime_report=00:00-24:00,"
        "switchboard=00:00-24:00",
    }
    with page_service("queueing", kafka, identities, tmp_path, settings) as service:
        yield service


def contact(waited: float, **triage: object) -> Classified:
    return theft_report(REGION, datetime.now(UTC), waited, rules_version="test", **triage)


def publish(kafka: str, events: list[Classified]) -> None:
    """Publishes from a thread of its own: Playwright's sync API holds this thread's loop."""
    sending = publish_timed(kafka, "test-desk", events, CONTACTS_CLASSIFIED)
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, sending).result(timeout=60)


def waiting(queueing: ServiceProcess, identities: Identities, region: Region = REGION) -> int:
    supervisor = identities.person("supervisor-national")
    state = httpx.get(f"{queueing.url}/queues/{region.value}", headers=supervisor, timeout=10)
    assert state.status_code == 200, state.text
    return int(state.json()["waiting_total"])


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk-{name}.png"))


@needs_chromium
def test_an_operator_works_contacts_from_the_desk(
    kafka: str, identities: Identities, queueing: ServiceProcess
) -> None:
    identities.person(OPERATOR, "operator", REGION.value)
    password = identities.provider.secrets().passwords[OPERATOR]
    first = contact(
        90,
        e_service="anmal-stold",
        decided_by="model",
        model_version="test",
        probabilities={NeedCategory.CASE_HELP: 0.82},
        possible_emergency=True,
    )
    second = contact(30)
    problems: list[str] = []
    with sync_playwright() as driver:
        browser = launch(driver)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="sv-SE")
        page.on("console", lambda m: _console(m, problems))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        sign_in(page, f"{queueing.url}/desk", identities.issuer, OPERATOR, password)
        assert "code=" not in page.url

        # Signs in to the desk (ready) with the keyboard: the button is focusable and labelled.
        start = page.get_by_role("button", name="Logga in på desken (redo)")
        start.focus()
        page.keyboard.press("Enter")
        presence = page.locator("#presence")
        expect(presence).to_have_text("Redo – väntar på erbjudande", timeout=30_000)
        expect(page.locator("#who")).to_have_text(f"inloggad som {OPERATOR}")
        shot(page, "ready")

        # Pushed while the page is open: the longest waiting (and flagged) contact first.
        publish(kafka, [first, second])
        offer = page.locator("#offer")
        expect(offer).to_be_visible(timeout=30_000)
        expect(offer).to_have_attribute("data-contact", str(first.contact_id))
        expect(page.locator("#offer-left")).to_have_text(_seconds_left())
        expect(page.locator("#emergency")).to_be_visible()
        shot(page, "offer")

        # Rejected: the operator is not ready, and the contact is back in the queue.
        page.get_by_role("button", name="Avböj").click()
        expect(presence).to_have_text("Paus (avböjt erbjudande – tryck Redo)")
        expect(offer).to_be_hidden()
        _until(lambda: waiting(queueing, identities) == 2, "both contacts wait again")

        # Ready again: the same contact comes back first, from its old place; accepted.
        page.get_by_role("button", name="Redo").click()
        expect(offer).to_have_attribute("data-contact", str(first.contact_id), timeout=30_000)
        page.get_by_role("button", name="Ta emot").click()
        expect(presence).to_have_text("Upptagen")
        card = page.locator("#card")
        expect(card).to_have_attribute("data-contact", str(first.contact_id))
        expect(page.locator("#c-category")).to_have_text("Hjälp med ärende")
        expect(page.locator("#c-channel")).to_have_text("Telefon (114 14)")
        expect(page.locator("#c-region")).to_have_text("Nord")
        expect(page.locator("#c-matter")).to_have_text("Stöld")
        expect(page.locator("#c-explanation")).to_have_text(
            "modellen höjde regelns (case-theft-past) bedömning; modellens sannolikhet 82 %"
        )
        link = page.locator("#c-e-service a")
        expect(link).to_have_text("anmal-stold")
        expect(link).to_have_attribute("href", "https://polisen.se/e-tjanster/anmal-stold")
        expect(page.locator("#c-state")).to_have_text("tagen – ej besvarad")
        shot(page, "context")

        # Answer, then an outcome that opens a case; wrap-up follows, then ends by itself.
        page.get_by_role("button", name="Svara").click()
        expect(page.locator("#c-state")).to_have_text("besvarad")
        page.locator("#outcome").select_option("report_filed")
        page.get_by_role("button", name="Registrera utfall").click()
        expect(presence).to_have_text("Efterarbete", timeout=15_000)
        expect(page.locator("#wrapup-result")).to_contain_text(
            "Utfall: Anmälan upprättad (skapar ärende). Ärende K"
        )
        expect(page.locator("#wrapup-left")).to_contain_text("efterarbete klart om")
        shot(page, "wrap-up")
        # The wrap-up ends by itself: ready, and the second contact is offered at once.
        expect(offer).to_have_attribute(
            "data-contact", str(second.contact_id), timeout=(WRAP_UP_SECONDS + 15) * 1000
        )
        expect(presence).to_have_text("Erbjudande")

        # The English switch.
        page.get_by_role("button", name="English").click()
        expect(presence).to_have_text("Offer")
        expect(page.get_by_role("button", name="Accept")).to_be_visible()
        shot(page, "english")
        page.get_by_role("button", name="Svenska").click()

        _transfer(page, queueing, identities, str(second.contact_id))
        browser.close()
    # Chromium may log the response the test dropped; nothing else.
    lost = [p for p in problems if "ERR_CONNECTION_RESET" in p and "/transfer" in p]
    assert len(lost) <= 1, problems
    assert [p for p in problems if p not in lost] == [], problems


def _transfer(page: Page, queueing: ServiceProcess, identities: Identities, contact: str) -> None:
    """The operator accepts, answers and transfers the offered contact to another region's
    queue with the keyboard; the first response is lost on the way back (the transfer done on
    the server), and the page's retry under the same Idempotency-Key gets the first answer."""
    keys: list[str | None] = []

    def lose_the_first_response(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server transfers ...
            route.abort("connectionreset")  # ... and the page never hears of it
        else:
            route.continue_()

    page.route("**/contacts/*/transfer", lose_the_first_response)
    presence = page.locator("#presence")
    page.get_by_role("button", name="Ta emot").click()
    expect(presence).to_have_text("Upptagen")
    expect(page.locator("#card")).to_have_attribute("data-contact", contact)
    page.get_by_role("button", name="Svara").click()
    expect(page.locator("#c-state")).to_have_text("besvarad")
    page.get_by_role("button", name="Koppla vidare…").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#t-to")).to_be_focused()
    expect(page.locator("#t-region-row")).to_be_hidden()
    page.get_by_label("Till").select_option("region")
    page.get_by_label("Mottagande region").select_option(RECEIVING.value)
    page.get_by_label("Ny behovskategori").select_option("urgent")
    shot(page, "transfer")
    page.get_by_role("button", name="Koppla vidare", exact=True).focus()
    page.keyboard.press("Enter")
    # The lost response is retried by the page under the same key: the first answer, no refusal.
    result = "Kopplad vidare till Syd, kön Skyndsamt, som Skyndsamt."
    expect(page.locator("#status")).to_have_text(result)
    expect(presence).to_have_text("Efterarbete")
    expect(page.locator("#wrapup-result")).to_have_text(result)
    first, retried = keys  # one request, one retry of it: the same key
    assert first == retried, keys
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", first or ""), keys
    assert waiting(queueing, identities, RECEIVING) == 1, "moved once"
    assert waiting(queueing, identities) == 0
    shot(page, "transferred")
    page.get_by_role("button", name="English").click()
    expect(page.locator("#wrapup-result")).to_have_text(
        "Transferred to Syd, Urgent queue, as Urgent."
    )
    # Ready again, with nothing left in Nord to offer: the contact waits for Syd's operators.
    page.get_by_role("button", name="Ready").click()
    expect(presence).to_have_text("Ready – waiting for an offer")
    expect(page.locator("#offer")).to_be_hidden()
    assert waiting(queueing, identities, RECEIVING) == 1


def test_the_desk_shell_is_public_and_carries_no_data(
    identities: Identities, queueing: ServiceProcess
) -> None:
    shell = httpx.get(f"{queueing.url}/desk", timeout=10)
    assert shell.status_code == 200
    assert "Operatörsdesk" in shell.text
    assert 'data-contact="' not in shell.text, "no contact in the shell"
    config = httpx.get(f"{queueing.url}/desk/config", timeout=10).json()
    assert config["issuer"] == identities.issuer
    assert config["client_id"] == "pkc-ui"
    assert config["offer_timeout_seconds"] == 60
    assert config["wrap_up_seconds"] == WRAP_UP_SECONDS
    assert "report_filed" in config["outcomes"]
    assert config["pause_reasons"] == ["rast", "utbildning", "administration"]
    for script in ("/desk.js", "/pages/signin.js"):
        served = httpx.get(f"{queueing.url}{script}", timeout=10)
        assert served.status_code == 200
        assert served.headers["content-type"].startswith("text/javascript")
    # Everything with data needs a token.
    stream = httpx.get(f"{queueing.url}/operators/me/offers/stream", timeout=10)
    assert stream.status_code == 401


def _seconds_left() -> re.Pattern[str]:
    return re.compile(r"^\d+ s$")


def _console(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(f"console: {message.text} ({message.location.get('url')})")


def _until(check: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not in {seconds} s: {what}"
        time.sleep(0.2)  # a poll with a deadline, not a wait for a guess
