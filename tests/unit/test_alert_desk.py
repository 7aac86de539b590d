"""The on-call desk `pkc run` shows and the tests read: what notify delivers arrives there."""

import smtplib
from email.message import EmailMessage

import httpx
import pytest

from pkc.alert_desk import alert_desk


def test_webhooks_and_mail_reach_the_desk_and_its_latest_are_shown() -> None:
    with alert_desk() as desk:
        for region in ("nord", "syd"):
            response = httpx.post(desk.webhook.url, json={"summary": f"{region} under target"})
            assert response.status_code == 200
        httpx.post(desk.webhook.url, content=b"not json")  # kept, but not an alert to show
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
            "PKC_NOTIFY_SMTP_PORT": str(desk.mailbox.port),
        }


def test_waiting_for_what_never_arrives_says_what_was_awaited() -> None:
    with alert_desk() as desk, pytest.raises(TimeoutError, match="the Syd alert"):
        desk.webhook.wait_for(lambda got: got, timeout=0.2, what="the Syd alert")


def test_a_receiver_that_is_down_refuses_and_records_nothing() -> None:
    with alert_desk() as desk:
        desk.webhook.status = 500
        assert httpx.post(desk.webhook.url, json={"summary": "lost"}).status_code == 500
        assert desk.webhook.received == []
