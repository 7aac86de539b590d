"""Acknowledgement is something a person does: an alert's link opens a page and changes nothing
(a mail client's link scanner opens every link), the page's POST acknowledges as the person
the link was sent to, and the API acknowledges as the signed-in on-call person of the region.
Every other notify route needs a token of the roles it names. On a real database (SQLite and
PostgreSQL) and the session's real Keycloak."""

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from schemas import AlertAcknowledged
from schemas.envelope import Event
from services.notify.api import PUBLIC_ROUTES
from services.notify.app import app_for
from services.notify.bootstrap import Notify
from services.notify.policy import breach_id
from services.shared.clock import SimulatedClock
from tests.identities import Identities
from tests.integration.test_notify_alerts import NOW, breached, deliver, notify_on, schedule
from tests.notify_events import Published, relay_outbox

# Syd's day officer at level 1 (webhook and e-mail), a chief by e-mail at level 2.
WITH_LEVEL_2 = schedule("syd-day", "https://hooks.example.org/syd-day").replace(
    "people:\n", "people:\n  syd-chef: {name: Chef, email: chef@example.org}\n"
) + (
    "  - {region: syd, level: 2, shifts: [{person: syd-chef, days: [tue], "
    'from: "00:00", to: "00:00"}]}\n'
)


@pytest.fixture
def notify(database_url: str, tmp_path: Path, identities: Identities) -> Notify:
    """Notify on Syd's two levels, its clock standing at NOW, publishing into a list."""
    service = notify_on(
        database_url, tmp_path, escalation_minutes=10, oidc_issuer=identities.issuer
    )
    service.schedules.replace(WITH_LEVEL_2, NOW)
    service.relay.producer = Published()
    service.clock = SimulatedClock(NOW, speed=0.0)
    return service


def published(notify: Notify) -> list[Event]:
    """The acknowledgements notify's outbox has published."""
    assert isinstance(notify.relay.producer, Published)
    relay_outbox(notify.relay)
    return [e for e in notify.relay.producer.events if isinstance(e, AlertAcknowledged)]


def mailed_link(notify: Notify, at: datetime) -> dict[str, str]:
    """The acknowledgement link in each e-mail sent at `at`, by recipient."""
    links = {}
    for delivery in deliver(notify, at):
        if delivery.transport == "email":
            (line,) = [x for x in delivery.body.splitlines() if x.startswith("Acknowledge: ")]
            links[delivery.recipient] = line.removeprefix("Acknowledge: ")
    return links


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def acknowledgements(notify: Notify) -> list[Any]:
    return [entry for entry in notify.store.log(50) if entry.action == "acknowledged"]


def test_a_link_scanners_get_acknowledges_nothing_and_the_pages_post_acknowledges_as_the_recipient(
    notify: Notify,
) -> None:
    client = TestClient(app_for(notify))
    assert notify.alerts.take(breached(uuid.uuid4(), NOW), NOW, NOW)
    link = mailed_link(notify, NOW)["syd-day"]
    path = urlsplit(link).path + "?" + urlsplit(link).query

    # What a mail client's link scanner does: opens the link, and asks for its head.
    page = client.get(path)
    assert page.status_code == 200
    assert client.head(path).status_code in (200, 405)
    assert "Kvittera larmet" in page.text
    assert "Acknowledge the alert" in page.text
    assert "Syd" in page.text
    assert 'method="post"' in page.text
    assert "syd-day@example.org" not in page.text, "the page names no address"
    assert page.headers["Cache-Control"] == "no-store"
    (alert,) = notify.store.recent(10)
    assert alert.acknowledged_at is None
    assert acknowledgements(notify) == []
    assert published(notify) == []

    # Unacknowledged, the alert still escalates to level 2, whose e-mail has a link of its own.
    later = NOW + timedelta(minutes=10)
    (escalation,) = notify.alerts.escalate_due(later, later)
    assert escalation.to_level == 2
    chief_link = mailed_link(notify, later)["syd-chef"]
    assert token_of(chief_link) != token_of(link), "each link names its recipient"

    # The chief presses the page's button: acknowledged as the chief, through the link.
    done = client.post("/ack", data={"token": token_of(chief_link)})
    assert done.status_code == 200
    assert "Kvitterat" in done.text
    assert "Acknowledged" in done.text
    (ack,) = acknowledgements(notify)
    assert (ack.person, ack.subject, ack.via, ack.level) == (
        "syd-chef",
        "schedule:syd-chef",
        "link",
        2,
    )
    (event,) = published(notify)
    assert (event.acknowledged_by, event.via) == ("syd-chef", "link")  # type: ignore[attr-defined]
    (alert,) = notify.store.recent(10)
    assert (alert.acknowledged_by, alert.escalate_at) == ("syd-chef", None)

    # One time: the level-1 link, or the same again, acknowledges nothing more.
    again = client.post("/ack", data={"token": token_of(link)})
    assert again.status_code == 200
    assert "Redan kvitterat" in again.text
    assert "Redan kvitterat" in client.get(path).text
    assert len(acknowledgements(notify)) == 1
    assert len(published(notify)) == 1
    end = later + timedelta(hours=1)
    assert notify.alerts.escalate_due(end, end) == []


def test_a_forged_or_expired_link_is_refused_with_a_page_and_changes_nothing(
    notify: Notify,
) -> None:
    client = TestClient(app_for(notify))
    notify.alerts.take(breached(uuid.uuid4(), NOW), NOW, NOW)
    token = token_of(mailed_link(notify, NOW)["syd-day"])
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for refused in (
        client.get("/ack", params={"token": forged}),
        client.post("/ack", data={"token": forged}),
        client.post("/ack", data={}),
    ):
        assert refused.status_code == 403
        assert "Ogiltig länk" in refused.text
        assert forged not in refused.text
    expired_at = NOW + timedelta(hours=notify.settings.ack_valid_hours)
    notify.clock = SimulatedClock(expired_at, speed=0.0)
    expired = client.post("/ack", data={"token": token})
    assert expired.status_code == 403
    assert "expired" in expired.text
    assert acknowledgements(notify) == []
    assert published(notify) == []


def test_the_api_acknowledges_as_the_signed_in_on_call_person_of_the_region(
    notify: Notify, identities: Identities
) -> None:
    client = TestClient(app_for(notify))
    notify.alerts.take(breached(uuid.uuid4(), NOW), NOW, NOW)
    (alert,) = notify.store.recent(10)
    ack = f"/alerts/{alert.alert_id}/ack"
    vast = identities.person("oncall-vast", "oncall", "vast")
    syd = identities.person("oncall-syd", "oncall", "syd")
    operator = identities.person("operator-syd-1", "operator", "syd")

    assert client.post(ack).status_code == 401
    assert client.post(ack, headers=operator).status_code == 403
    assert client.post(ack, headers=vast).status_code == 403, "another region's alert"
    assert acknowledgements(notify) == []

    # Whoever the body claims, the token says who acknowledged.
    done = client.post(ack, headers=syd, json={"by": "someone-else"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "acknowledged"
    (entry,) = acknowledgements(notify)
    assert (entry.person, entry.subject, entry.via) == (
        "oncall-syd",
        identities.subject(syd),
        "api",
    )
    assert client.post(ack, headers=syd).json()["status"] == "already acknowledged"
    assert len(published(notify)) == 1
    auditor = identities.person("auditor", "auditor", "national")
    by_person = client.get("/alerts/log", params={"person": "oncall-syd"}, headers=auditor)
    assert [(e["action"], e["person"]) for e in by_person.json()] == [
        ("acknowledged", "oncall-syd")
    ]
    elsewhere = client.get("/alerts/log", params={"region": "vast"}, headers=auditor)
    assert elsewhere.json() == []
    later = (NOW + timedelta(minutes=1)).isoformat()
    assert client.get("/alerts/log", params={"since": later}, headers=auditor).json() == []
    missing = client.post(f"/alerts/{breach_id(uuid.uuid4())}/ack", headers=syd)
    assert missing.status_code == 404


def test_each_route_admits_only_the_roles_it_names(notify: Notify, identities: Identities) -> None:
    client = TestClient(app_for(notify))
    people = {
        "oncall": identities.person("oncall-syd", "oncall", "syd"),
        "supervisor": identities.person("supervisor-syd", "supervisor", "syd"),
        "national": identities.person("supervisor-national", "supervisor", "national"),
        "auditor": identities.person("auditor", "auditor", "national"),
        "operator": identities.person("operator-syd-1", "operator", "syd"),
    }
    schedule_body = {"yaml": WITH_LEVEL_2}
    routes: list[tuple[str, str, dict[str, Any], set[str]]] = [
        ("GET", "/alerts", {}, {"oncall", "supervisor", "national", "auditor"}),
        ("GET", "/alerts/log", {}, {"oncall", "supervisor", "national", "auditor"}),
        ("GET", "/oncall?region=syd", {}, {"oncall", "supervisor", "national"}),
        ("GET", "/oncall/schedule", {}, {"oncall", "supervisor", "national"}),
        ("GET", "/oncall/schedule/versions", {}, {"supervisor", "national", "auditor"}),
        ("PUT", "/oncall/schedule", {"json": schedule_body}, {"national"}),
    ]
    for method, path, body, admitted in routes:
        assert client.request(method, path, **body).status_code == 401, path
        for who, headers in people.items():
            answer = client.request(method, path, headers=headers, **body)
            expected = 200 if who in admitted else 403
            assert answer.status_code == expected, (method, path, who, answer.text)
    assert {("GET", "/ack"), ("POST", "/ack")} == PUBLIC_ROUTES


def test_a_schedule_edit_is_recorded_with_who_saved_it(
    notify: Notify, identities: Identities
) -> None:
    client = TestClient(app_for(notify))
    national = identities.person("supervisor-national", "supervisor", "national")
    edited = schedule("syd-night", "https://hooks.example.org/syd-night")
    saved = client.put("/oncall/schedule", json={"yaml": edited}, headers=national)
    assert saved.status_code == 200, saved.text
    versions = client.get("/oncall/schedule/versions", headers=national).json()
    assert [(v["version"], v["saved_by"]) for v in versions][:2] == [
        (saved.json()["version"], "supervisor-national"),
        (saved.json()["version"] - 1, None),
    ]
