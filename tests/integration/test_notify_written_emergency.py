"""A written contact in doubt alerts the region's on-call at once: through notify's composition
root on a real database (SQLite and PostgreSQL): stored once, escalated with its own wording,
stopped by its link; and as a process on real Kafka, from the classified topic to a real
webhook receiver and SMTP server."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from pkc.alert_desk import Mailbox, WebhookReceiver
from pkc.processes import ServiceProcess
from schemas import Classified, Region
from schemas.enums import Channel, NeedCategory
from services.notify.acknowledgement import Acknowledger
from services.notify.policy import written_emergency_id
from services.shared.kafka import EventProducer
from tests.integration.test_notify_alerts import deliver, notify_on, schedule

# The delivery tests' fixtures: one notify process on real Kafka, a webhook receiver, a mailbox.
from tests.integration.test_notify_delivery import notify, receivers  # noqa: F401
from tests.notify_events import WEIGHED_WORDS, classified

NOW = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # a Tuesday night: nobody reads the mail
# Syd's day officer at level 1 (webhook and e-mail), a chief by e-mail at level 2.
WITH_LEVEL_2 = schedule("syd-day", "https://hooks.example.org/syd-day").replace(
    "people:\n", "people:\n  syd-chef: {name: Chef, email: chef@example.org}\n"
) + (
    "  - {region: syd, level: 2, shifts: [{person: syd-chef, days: [tue, wed], "
    'from: "00:00", to: "00:00"}]}\n'
)


def flagged_mail(at: datetime = NOW) -> Classified:
    return classified(Channel.MAIL, NeedCategory.URGENT, at, possible_emergency=True)


def test_a_flagged_mail_alerts_on_call_once_escalates_unacknowledged_and_stops_when_acked(
    database_url: str, tmp_path: Path
) -> None:
    service = notify_on(database_url, tmp_path, escalation_minutes=10)
    service.schedules.replace(WITH_LEVEL_2, NOW)
    quiet = classified(Channel.MAIL, NeedCategory.URGENT, NOW)
    assert not service.alerts.take(quiet, NOW, NOW), "an unflagged Skyndsamt mail waits"
    event = flagged_mail()
    assert service.alerts.take(event, NOW, NOW)
    assert not service.alerts.take(event, NOW, NOW), "a replay stores nothing"
    sent = deliver(service, NOW)
    assert {(d.recipient, d.transport, d.level) for d in sent} == {
        ("syd-day", "webhook", 1),
        ("syd-day", "email", 1),
    }
    (hook,) = [json.loads(d.body) for d in sent if d.transport == "webhook"]
    assert (hook["kind"], hook["contact_id"]) == ("written_emergency", str(event.contact_id))
    assert hook["ack_url"].startswith(service.settings.ack_base())
    assert all(word not in d.body for d in sent for word in WEIGHED_WORDS)

    later = NOW + timedelta(minutes=10)
    (escalation,) = service.alerts.escalate_due(later, later)
    assert (escalation.alert_id, escalation.to_level) == (written_emergency_id(event.contact_id), 2)
    (mail,) = deliver(service, later)
    assert (mail.recipient, mail.subject) == (
        "syd-chef",
        "[PKC] ESCALATED: Syd: possible emergency by mail, unread: read it now",
    )
    assert str(event.contact_id) in mail.body
    assert "On-call level 1 has not acknowledged it." in mail.body

    chief = Acknowledger.by_link("syd-chef")
    acked = service.alerts.acknowledge(escalation.alert_id, chief, later)
    assert acked is not None
    (alert,) = [a for a in service.store.recent(10) if a.alert_id == escalation.alert_id]
    assert (alert.kind, alert.escalate_at) == ("written", None)
    end = later + timedelta(hours=1)
    assert service.alerts.escalate_due(end, end) == []
    log = [(e.kind, e.action) for e in service.store.log(10)]
    assert ("written", "acknowledged") in log
    (ack,) = [e for e in service.store.log(10) if e.action == "acknowledged"]
    assert (ack.person, ack.via) == ("syd-chef", "link")


def text_of(mail: Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    return body.decode()


async def publish(kafka: str, *events: Classified) -> None:
    producer = EventProducer(kafka, "test-notify-written")
    await producer.start()
    for event in events:
        await producer.publish(event)
    await producer.stop()


def about(contact: Classified) -> Any:
    """A predicate on the webhook's arrivals: the alerts about `contact`."""

    def bodies(got: list[Any]) -> list[dict[str, Any]]:
        return [
            b for b in (r.json() for r in got) if b.get("contact_id") == str(contact.contact_id)
        ]

    return bodies


@pytest.mark.kafka
def test_a_written_contact_in_doubt_on_kafka_reaches_on_calls_webhook_and_mailbox(
    kafka: str,
    notify: ServiceProcess,  # noqa: F811 (the fixture imported above)
    receivers: tuple[WebhookReceiver, Mailbox],  # noqa: F811
) -> None:
    webhook, mailbox = receivers
    now = datetime.now(UTC)
    by_phone = classified(Channel.PHONE, NeedCategory.EMERGENCY, now, region=Region.NORD)
    by_mail = classified(Channel.E_SERVICE, NeedCategory.EMERGENCY, now, region=Region.NORD)
    # One region: one partition, in order. Once the e-service's alert is in, the phone call's
    # would have been too, had it called for one.
    asyncio.run(publish(kafka, by_phone, by_mail))
    got = webhook.wait_for(about(by_mail), timeout=30, what="the written emergency's alert")
    (alert,) = about(by_mail)(got)
    assert (alert["kind"], alert["region"], alert["decision"]) == (
        "written_emergency",
        "nord",
        "emergency",
    )
    assert alert["summary"] == "Nord: Nöd by the e-service, unread: read it now"
    assert about(by_phone)(got) == [], "a phone call is on the line: no on-call alert"
    mails = mailbox.wait_for(
        lambda got: [m for m in got if str(by_mail.contact_id) in text_of(m)],
        timeout=30,
        what="the written emergency's e-mail",
    )
    (mail,) = [m for m in mails if str(by_mail.contact_id) in text_of(m)]
    assert mail["To"] == "nord@example.org"
    assert alert["ack_url"] in text_of(mail)
