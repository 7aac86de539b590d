"""One walk through the whole platform on real Kafka: contacts in, a breach alert out."""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pkc.polling import poll
from services.notify.webhook import SIGNATURE_HEADER, signature_is_valid
from tests.e2e.acknowledging import link_in, open_as_a_scanner, press_the_button
from tests.e2e.conftest import Platform
from tests.identities import Headers, Identities

# Its time goes on waiting for the breach, its alert and the reinforcement: see `waits`.
pytestmark = [pytest.mark.kafka, pytest.mark.waits]

STOCKHOLM_CONTACTS = 30  # enough arrivals that Erlang C says one operator is too few
OST_CONTACTS = 8
OST_OPERATORS = 4  # Öst is comfortable: it can lend
THEFT_REPORT = "Hej, jag vill anmäla att min cykel blev stulen utanför jobbet i förra veckan."


def post_contact(platform: Platform, key: str, region: str, text: str, waited: timedelta) -> str:
    response = httpx.post(
        f"{platform.url('intake')}/contacts",
        json={
            "idempotency_key": key,
            "source": "phone-gw",
            "region": region,
            "channel": "phone",
            "text": text,
            "received_at": (platform.clock.now() - waited).isoformat(),
        },
        headers=platform.adapter,  # the phone adapter's own service account
    )
    assert response.status_code == 202, response.text
    return str(response.json()["contact_id"])


def log_in(platform: Platform, operator: str, region: str) -> dict[str, str]:
    """Signs `operator` (a person of `region`) in to queueing with their own token, which every
    later call of theirs carries."""
    person = platform.person(operator, "operator", region)
    response = httpx.post(f"{platform.url('queueing')}/operators/login", json={}, headers=person)
    assert response.status_code == 200, response.text
    return person


def answer_all(platform: Platform, headers: dict[str, str], expected: int) -> list[str]:
    """Takes and answers contacts until `expected` were answered (queueing fills asynchronously)."""
    answered: list[str] = []

    def all_answered() -> bool:
        taken = httpx.post(f"{platform.url('queueing')}/operators/me/next", headers=headers)
        if taken.status_code == 204:
            return False  # not queued yet: triage and queueing are catching up
        assert taken.status_code == 200, taken.text
        contact_id = taken.json()["contact_id"]
        done = httpx.post(
            f"{platform.url('queueing')}/contacts/{contact_id}/answer", headers=headers
        )
        assert done.status_code == 200, done.text
        answered.append(contact_id)
        return len(answered) >= expected

    poll(all_answered, f"{expected} contacts to reach the operator's queue", interval=0)
    return answered


def sla_of(platform: Platform, region: str) -> dict[str, Any]:
    regions = httpx.get(f"{platform.url('reporting')}/sla", headers=platform.supervisor).json()
    return next(r for r in regions if r["region"] == region)


def wait_for_sla(
    platform: Platform,
    region: str,
    predicate: Callable[[dict[str, Any]], object],
    what: str = "in the state awaited",
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        current = sla_of(platform, region)
        return current if predicate(current) else None

    return poll(reached, f"{region} to be {what}", interval=0.2)


def test_a_lagging_region_breaches_alerts_and_is_reinforced_by_a_donor_region(
    platform: Platform, identities: Identities
) -> None:
    ost_operators = [log_in(platform, f"op-ost-{i}", "ost") for i in range(OST_OPERATORS)]
    sthlm_operator = log_in(platform, "op-sthlm-1", "stockholm")
    stockholm = [
        post_contact(platform, f"sthlm-{i}", "stockholm", THEFT_REPORT, timedelta(minutes=15))
        for i in range(STOCKHOLM_CONTACTS)
    ]
    ost = [
        post_contact(platform, f"ost-{i}", "ost", THEFT_REPORT, timedelta(minutes=1))
        for i in range(OST_CONTACTS)
    ]
    # Nöd is never queued: it goes to 112 at once.
    post_contact(
        platform,
        "sthlm-nod",
        "stockholm",
        "Hjälp! Någon bryter sig in i lägenheten bredvid just nu!",
        timedelta(0),
    )

    answered_sthlm = answer_all(platform, sthlm_operator, STOCKHOLM_CONTACTS)
    answered_ost = answer_all(platform, ost_operators[0], OST_CONTACTS)
    assert sorted(answered_sthlm) == sorted(stockholm)
    assert sorted(answered_ost) == sorted(ost)

    sthlm = wait_for_sla(
        platform,
        "stockholm",
        lambda r: r["window"]["answered_late"] >= STOCKHOLM_CONTACTS,
        f"counting {STOCKHOLM_CONTACTS} answered late",
    )
    ost_sla = wait_for_sla(
        platform,
        "ost",
        lambda r: r["window"]["answered_within"] >= OST_CONTACTS,
        f"counting {OST_CONTACTS} answered in time",
    )
    assert sthlm["window"]["share"] < 0.85
    assert sthlm["in_breach"]
    assert ost_sla["window"]["share"] >= 0.85
    assert not ost_sla["in_breach"]

    def stockholm_breach(got: list[Any]) -> list[Any]:
        return [
            r for r in got if r.json()["region"] == "stockholm" and r.json()["kind"] == "breach"
        ]

    alerts = platform.desk.webhook.wait_for(lambda got: stockholm_breach(got), timeout=30)
    breach = stockholm_breach(alerts)[0]
    body = breach.json()
    assert body["share"] < 0.85
    assert body["ack_url"].startswith(platform.url("notify"))
    # The desk keeps only what notify signed with the secret they share (it refuses the rest).
    signature = breach.headers[SIGNATURE_HEADER]
    assert signature_is_valid(platform.desk.webhook.secret, signature, breach.body, time.time())
    assert platform.desk.webhook.refused == 0
    assert "cykel" not in breach.body.decode(), "no citizen text in an alert"
    ost_breaches = [
        r.json() for r in alerts if r.json()["region"] == "ost" and r.json()["kind"] == "breach"
    ]
    assert not ost_breaches, f"the healthy region breached nothing: {ost_breaches}"

    # Reporting asked for reinforcement with Erlang figures; queueing made it an order.
    order = wait_for_order(platform, "stockholm")
    assert "ost" in order["donors"]
    lagging = post_contact(platform, "sthlm-late", "stockholm", THEFT_REPORT, timedelta(minutes=12))
    donor = ost_operators[1]
    taken = take_when_queued(platform, donor)
    assert taken["contact_id"] == lagging
    assert taken["reinforcement_order"] == order["order_id"]
    answered = httpx.post(f"{platform.url('queueing')}/contacts/{lagging}/answer", headers=donor)
    assert answered.json()["region"] == "stockholm"
    assert answered.json()["operator_region"] == "ost"

    # Meanwhile nobody acknowledged: the e-mail side of the same alert, and its escalation.
    check_mail_escalation_and_acknowledgement(platform, body, identities)


def check_mail_escalation_and_acknowledgement(
    platform: Platform, breach: dict[str, Any], identities: Identities
) -> None:
    """The same breach by e-mail to Stockholm's level 1, with a link of its own; opening it (as
    a link scanner does) acknowledges nothing, so unacknowledged it reaches level 2 after the
    escalation time; level 2 presses the button of its link's page and it stops there."""
    mailbox = platform.desk.mailbox
    on_call = identities.person("oncall-stockholm", "oncall", "stockholm")

    def breach_mail(got: list[Any]) -> list[Any]:
        return [m for m in got if m["To"] == LEVEL[1] and "below target" in m["Subject"]]

    first = breach_mail(mailbox.wait_for(lambda got: breach_mail(got), timeout=30))[0]
    assert "Stockholm" in first["Subject"]
    text = first.get_payload(decode=True).decode()
    assert "cykel" not in text, "no citizen text in an alert"
    level_1_link = link_in(text)
    assert level_1_link.startswith(platform.url("notify"))
    assert level_1_link != breach["ack_url"], "each recipient's link names them"
    open_as_a_scanner(level_1_link)

    def escalation_mail(got: list[Any]) -> list[Any]:
        return [m for m in got if m["To"] == LEVEL[2] and "ESCALATED" in m["Subject"]]

    escalation = escalation_mail(mailbox.wait_for(escalation_mail, timeout=60))[0]
    level_2_link = link_in(escalation.get_payload(decode=True).decode())

    forged = level_2_link[:-4] + "AAAA"
    assert httpx.get(forged).status_code == 403
    assert press_the_button(forged).status_code == 403
    acked = press_the_button(level_2_link)
    assert acked.status_code == 200, acked.text
    assert "Kvitterat" in acked.text

    alert = next(a for a in alerts_of(platform, on_call) if a["alert_id"] == breach["alert_id"])
    assert alert["acknowledged_by"] == "sthlm-2", "the person the link was sent to"
    assert alert["escalate_at"] is None, "an acknowledged alert escalates no further"
    assert alert["level"] == 2
    log = httpx.get(f"{platform.url('notify')}/alerts/log", headers=on_call).json()
    mine = [e for e in log if e["alert_id"] == breach["alert_id"]]
    actions = {(e["action"], e["level"]) for e in mine}
    assert {("delivered", 1), ("escalated", 2), ("delivered", 2), ("acknowledged", 2)} <= actions
    (ack,) = [e for e in mine if e["action"] == "acknowledged"]
    assert (ack["person"], ack["via"]) == ("sthlm-2", "link")
    assert mailbox.to(LEVEL[3]) == []


LEVEL = {
    1: "vakthavande@stockholm.example.org",
    2: "rlc@stockholm.example.org",
    3: "chef@stockholm.example.org",
}


def alerts_of(platform: Platform, reader: Headers) -> list[dict[str, Any]]:
    return list(httpx.get(f"{platform.url('notify')}/alerts", headers=reader).json())


def wait_for_order(platform: Platform, region: str) -> dict[str, Any]:
    def order() -> dict[str, Any] | None:
        answer = httpx.get(
            f"{platform.url('queueing')}/reinforcements", headers=platform.supervisor
        )
        orders = answer.json()
        return next((dict(o) for o in orders if o["region"] == region), None)

    return poll(order, f"a reinforcement order for {region}", interval=0.2)


def take_when_queued(platform: Platform, headers: dict[str, str]) -> dict[str, Any]:
    def taken() -> dict[str, Any] | None:
        response = httpx.post(f"{platform.url('queueing')}/operators/me/next", headers=headers)
        if response.status_code == 200:
            return dict(response.json())
        assert response.status_code == 204, response.text
        return None

    return poll(taken, "a contact to reach the operator's queue")
