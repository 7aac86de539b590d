"""The citizen's case page (/case) in a real headless Chromium (Debian's, driven by
Playwright): a citizen enters their case number and a mistyped code (told no such case), then
the right one, reads the case's status and history, adds information (an operator of the
case's region then has it waiting), and after an operator's visible note and the closing sees
both, with no form to add more. The code never appears in an address the page requests.

Queueing runs as its own process on the session's broker and Keycloak; the case arrives as
triage publishes an e-service case, a `CaseCreated` on Kafka.
"""

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Request, expect, sync_playwright

from bench.events import publish_timed
from pkc.polling import poll
from pkc.processes import ServiceProcess
from schemas import CaseCreated, MatterType, Region
from schemas.topics import CASES
from tests.e2e.pages import launch, needs_chromium, page_service
from tests.identities import Identities

pytestmark = pytest.mark.kafka
REGION = Region.OST


@pytest.fixture
def queueing(kafka: str, identities: Identities, tmp_path: Path) -> Iterator[ServiceProcess]:
    settings = {
        # The citizen's information queues whatever the hour the test runs at.
        "PKC_QUEUEING_CLOSED_OUTCOME": "queue",
        "PKC_QUEUEING_OPENING_HOURS": "crime_report=00:00-24:00",
    }
    with page_service("queueing", kafka, identities, tmp_path, settings) as service:
        yield service


def e_service_case() -> CaseCreated:
    case_id = uuid.uuid4()
    return CaseCreated(
        occurred_at=datetime.now(UTC),
        case_id=case_id,
        contact_id=uuid.uuid4(),
        region=REGION,
        case_number=f"K{case_id.int % 10**7:07d}-26",
        matter=MatterType.THEFT,
        created_by="e_service",
    )


def publish(kafka: str, case: CaseCreated) -> None:
    """Publishes from a thread of its own, as triage would."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, publish_timed(kafka, "test-case-page", [case], CASES)).result(60)


@needs_chromium
def test_a_citizen_follows_their_case_and_adds_information_on_the_page(
    kafka: str, identities: Identities, queueing: ServiceProcess
) -> None:
    case = e_service_case()
    publish(kafka, case)
    supervisor = identities.person("supervisor-national")
    url = f"{queueing.url}/cases/{case.case_id}"

    def secret() -> str | None:
        answer = httpx.get(f"{url}/secret", headers=supervisor, timeout=10)
        return answer.json()["secret"] if answer.status_code == 200 else None

    code = poll(secret, "the case kept by queueing", timeout=60)
    requested: list[str] = []
    problems: list[str] = []
    with sync_playwright() as driver:
        browser = launch(driver)
        page = browser.new_page(viewport={"width": 900, "height": 900}, locale="sv-SE")
        page.on("request", lambda r: _remember(r, requested))
        page.on("console", lambda m: _console(m, problems))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.goto(f"{queueing.url}/case")

        page.get_by_label("Ärendenummer").fill(case.case_number.lower())
        page.get_by_label("Kod").fill("AAAA-BBBB-CCCC-DDDD")
        page.get_by_role("button", name="Visa ärendet").click()
        expect(page.get_by_role("alert")).to_contain_text("Vi hittar inget ärende")
        expect(page.locator("#case")).to_be_hidden()

        page.get_by_label("Kod").fill(code.lower().replace("-", " "))  # as read out on the phone
        page.get_by_role("button", name="Visa ärendet").click()
        expect(page.locator("#status")).to_have_text("Öppet (Open)")
        expect(page.locator("#number")).to_have_text(case.case_number)
        expect(page.locator("#history li")).to_have_count(1)
        expect(page.locator("#history li").first).to_contain_text("Ärendet skapades")

        page.get_by_label("Din information").fill("Jag har hittat kvittot på cykeln.")
        page.get_by_role("button", name="Skicka").click()
        expect(page.get_by_role("status")).to_contain_text("Tack!")
        expect(page.locator("#history li")).to_have_count(2)
        expect(page.locator("#history li").nth(1)).to_contain_text("Du lämnade information")
        poll(lambda: _waiting(queueing, supervisor) == 1, "the information waiting in Öst")

        note = {"text": "Vi har tagit emot kvittot.", "visible_to_citizen": True}
        assert httpx.post(f"{url}/notes", json=note, headers=supervisor).status_code == 201
        hidden = {"text": "Internt: jämför med ärende K7654321-26.", "visible_to_citizen": False}
        assert httpx.post(f"{url}/notes", json=hidden, headers=supervisor).status_code == 201
        closing = {"reason": "handled"}
        assert httpx.post(f"{url}/close", json=closing, headers=supervisor).status_code == 200
        page.get_by_role("button", name="Visa ärendet").click()
        expect(page.locator("#status")).to_have_text("Avslutat (Closed)")
        history = page.locator("#history li")
        expect(history).to_have_count(4)
        expect(history.nth(2)).to_contain_text("Vi har tagit emot kvittot.")
        expect(history.nth(3)).to_contain_text("Handlagt")
        expect(page.locator("#history")).not_to_contain_text("Internt")
        expect(page.locator("#add")).to_be_hidden()
        browser.close()

    secretly = code.replace("-", "")
    assert not [u for u in requested if secretly.lower() in u.replace("-", "").lower()]
    assert problems == ["console: 404"], problems  # the mistyped code's answer, nothing else


def _waiting(queueing: ServiceProcess, supervisor: dict[str, str]) -> int:
    state = httpx.get(f"{queueing.url}/queues/{REGION.value}", headers=supervisor, timeout=10)
    assert state.status_code == 200, state.text
    return int(state.json()["waiting_total"])


def _remember(request: Request, requested: list[str]) -> None:
    requested.append(request.url)


def _console(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        # Chromium reports a refused fetch as "Failed to load resource: ... 404 (Not Found)".
        problems.append("console: 404" if "404" in message.text else f"console: {message.text}")
