"""A written contact in doubt alerts the region's on-call within seconds on the real platform:
a mail that triage's model decides is Nöd, and one it flags as a possible emergency, are
e-mailed to Stockholm's on-call and posted to the desk's webhook at once, instead of waiting
unread for opening hours, and never with a word the citizen wrote. Unacknowledged, the alert
climbs to the next level; the button of its link's page stops it."""

from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import httpx
import pytest

from tests.e2e.acknowledging import link_in, open_as_a_scanner, press_the_button
from tests.e2e.conftest import ESCALATION_MINUTES, Platform

# Its time goes on the alert's escalation timer: see `waits`.
pytestmark = [pytest.mark.kafka, pytest.mark.waits]

# `pkc triage classify TEXT --channel mail`: the rules find no alarm words in either; the
# model decides the first is Nöd (P 0.84) and flags the second (Skyndsamt, P(Nöd) 0.22).
NOD = "Det står en man på taket till skolan och han verkar vilja hoppa"
IN_DOUBT = "Någon knackar på min dörr hela tiden och jag är rädd"
CITIZENS_WORDS = ("taket", "skolan", "hoppa", "knackar", "dörr", "rädd")
LEVEL_1, LEVEL_2 = "vakthavande@stockholm.example.org", "rlc@stockholm.example.org"
WITHIN_SECONDS = 20  # from the POST to the on-call's inbox, on a loaded test machine


def post_mail(platform: Platform, key: str, text: str) -> str:
    response = httpx.post(
        f"{platform.url('intake')}/contacts",
        json={
            "idempotency_key": key,
            "source": "mail-gw",
            "region": "stockholm",
            "channel": "mail",
            "text": text,
            "received_at": platform.clock.now().isoformat(),
        },
        headers=platform.adapter,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["contact_id"])


def text_of(mail: Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    return body.decode()


def subject_of(mail: Message) -> str:
    """The subject as sent: encoded words decoded, a folded line unfolded."""
    return " ".join(str(make_header(decode_header(mail["Subject"]))).split())


def webhook_alert(platform: Platform, contact_id: str) -> dict[str, Any]:
    def about(got: list[Any]) -> list[dict[str, Any]]:
        return [b for b in (r.json() for r in got) if b.get("contact_id") == contact_id]

    got = platform.desk.webhook.wait_for(about, WITHIN_SECONDS, f"the alert about {contact_id}")
    (alert,) = about(got)
    raw = next(r.body.decode() for r in got if r.json().get("contact_id") == contact_id)
    assert not [w for w in CITIZENS_WORDS if w in raw], "no citizen text in an alert"
    return alert


def mail_to(platform: Platform, address: str, contact_id: str, timeout: float) -> Message:
    def about(got: list[Message]) -> list[Message]:
        return [m for m in got if m["To"] == address and contact_id in text_of(m)]

    got = platform.desk.mailbox.wait_for(about, timeout, f"a mail to {address} on {contact_id}")
    (mail,) = about(got)
    text = text_of(mail)
    assert not [w for w in CITIZENS_WORDS if w in text], "no citizen text in an alert"
    return mail


def test_a_mail_the_model_decides_is_nod_alerts_on_call_at_once_and_the_link_acks_it(
    platform: Platform,
) -> None:
    contact_id = post_mail(platform, "written-nod", NOD)
    alert = webhook_alert(platform, contact_id)
    assert (alert["kind"], alert["region"], alert["channel"]) == (
        "written_emergency",
        "stockholm",
        "mail",
    )
    assert (alert["decision"], alert["decided_by"]) == ("emergency", "model")
    mail = mail_to(platform, LEVEL_1, contact_id, WITHIN_SECONDS)
    assert subject_of(mail) == "[PKC] Stockholm: Nöd by mail, unread: read it now"
    link = link_in(text_of(mail))
    assert link.startswith(platform.url("notify"))
    open_as_a_scanner(link)
    acked = press_the_button(link)
    assert acked.status_code == 200, acked.text
    assert "Kvitterat" in acked.text
    assert "Redan kvitterat" in press_the_button(alert["ack_url"]).text, "once"


def test_a_mail_flagged_as_a_possible_emergency_alerts_on_call_and_escalates_unacked(
    platform: Platform,
) -> None:
    contact_id = post_mail(platform, "written-doubt", IN_DOUBT)
    alert = webhook_alert(platform, contact_id)
    assert (alert["kind"], alert["decision"], alert["category"]) == (
        "written_emergency",
        "possible_emergency",
        "urgent",
    )
    assert 0 < alert["p_emergency"] < 0.5
    first = mail_to(platform, LEVEL_1, contact_id, WITHIN_SECONDS)
    assert "possible emergency" in subject_of(first)

    # Nobody acknowledged: the next level is told, in words about the unread contact.
    escalation_seconds = ESCALATION_MINUTES * 60
    escalated = mail_to(platform, LEVEL_2, contact_id, escalation_seconds + WITHIN_SECONDS)
    assert subject_of(escalated).startswith("[PKC] ESCALATED: Stockholm: possible emergency")
    assert "On-call level 1 has not acknowledged it." in text_of(escalated)
