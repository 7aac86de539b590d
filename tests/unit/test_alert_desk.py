"""The on-call desk `pkc run` shows and the tests read: what notify delivers arrives there, and
only what notify signed with the secret they share."""

import json
import smtplib
import time
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from pkc.alert_desk import WebhookReceiver, alert_desk
from services.notify.webhook import SIGNATURE_HEADER, sign


def post_signed(
    webhook: WebhookReceiver, payload: Any = None, raw: bytes | None = None
) -> httpx.Response:
    """A delivery as notify makes it: the body signed with the shared secret."""
    body = raw if raw is not None else json.dumps(payload).encode()
    signature = sign(webhook.secret, str(int(time.time())), body)
    return httpx.post(webhook.url, content=body, headers={SIGNATURE_HEADER: signature})


def test_webhooks_and_mail_reach_the_desk_and_its_latest_are_shown() -> None:
    with alert_desk() as desk:
        for region in ("nord", "syd"):
            response = post_signed(desk.webhook, {"summary": f"{region} under target"})
            assert response.status_code == 200
        post_signed(desk.webhook, raw=b"not json")  # kept, but not an alert to show
        mail = EmailMessage()
        mail["To"], mail["From"], mail["Subject"] = "nord@example.org", "pkc@local", "Larm: Nord"
        mail.set_content("Nord under target")
        with smtplib.SMTP("127.0.0.1", desk.mailbox.port) as smtp:
            smtp.send_message(mail)

        assert len(desk.webhook.wait_for(lambda got: len(got) == 3, timeout=5)) == 3
        assert desk.webhook.recent(1) == []
        assert [a["summary"] for a in desk.webhook.recent(3)] == [
            "nord under target",
            "syd under target",
        ]
        assert desk.mailbox.recent() == ["nord@example.org: Larm: Nord"]
        assert [m["Subject"] for m in desk.mailbox.to("nord@example.org")] == ["Larm: Nord"]
        assert desk.notify_env() == {
            "PKC_NOTIFY_WEBHOOK_URL": desk.webhook.url,
            "PKC_NOTIFY_WEBHOOK_SECRET": desk.webhook.secret,
            "PKC_NOTIFY_SMTP_PORT": str(desk.mailbox.port),
        }


def test_a_forged_or_unsigned_delivery_is_refused_and_never_shown() -> None:
    with alert_desk() as desk:
        body = json.dumps({"summary": "Syd: all operators to Gotland"}).encode()
        forged = sign("a guessed secret", str(int(time.time())), body)
        refused = httpx.post(desk.webhook.url, content=body, headers={SIGNATURE_HEADER: forged})
        assert refused.status_code == 401
        assert httpx.post(desk.webhook.url, content=body).status_code == 401, "unsigned"
        stale = sign(desk.webhook.secret, str(int(time.time()) - 3600), body)
        replayed = httpx.post(desk.webhook.url, content=body, headers={SIGNATURE_HEADER: stale})
        assert replayed.status_code == 401, "an old delivery replayed"
        assert (desk.webhook.received, desk.webhook.refused) == ([], 3)
        assert post_signed(desk.webhook, {"summary": "Syd under target"}).status_code == 200
        assert [a["summary"] for a in desk.webhook.recent()] == ["Syd under target"]


def test_each_desk_has_a_secret_of_its_own() -> None:
    with alert_desk() as one, alert_desk() as other:
        assert one.webhook.secret != other.webhook.secret
        assert len(one.webhook.secret) >= 32


def test_waiting_for_what_never_arrives_says_what_was_awaited() -> None:
    with alert_desk() as desk, pytest.raises(TimeoutError, match="the Syd alert"):
        desk.webhook.wait_for(lambda got: got, timeout=0.2, what="the Syd alert")


def test_a_receiver_that_is_down_refuses_and_records_nothing() -> None:
    with alert_desk() as desk:
        desk.webhook.status = 500
        assert post_signed(desk.webhook, {"summary": "lost"}).status_code == 500
        assert desk.webhook.received == []
