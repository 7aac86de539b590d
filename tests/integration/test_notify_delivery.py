"""Notify on real Kafka, a real webhook receiver and a real SMTP server: once per episode,
through a receiver outage and a kill -9, on SQLite and PostgreSQL; and a replayed old month
pages nobody."""

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest

from pkc.alert_desk import Mailbox, WebhookReceiver, smtp_receiver, webhook_receiver
from pkc.polling import poll
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from schemas import AlertDelivered, Region, SlaBreached, SlaWindow
from schemas.codec import decode_event
from schemas.envelope import Event
from schemas.topics import ALERTS
from services.notify.bootstrap import bootstrap
from services.notify.outbox import Sent
from services.notify.policy import breach_id
from services.notify.settings import NotifySettings
from services.shared.kafka import EventProducer
from tests.identities import Headers, Identities
from tests.kafka_helpers import Records, read_until
from tests.notify_events import breach_predicted

pytestmark = pytest.mark.kafka
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def schedule_text(webhook: str) -> str:
    every_day = "[mon, tue, wed, thu, fri, sat, sun]"
    all_day = 'from: "00:00", to: "00:00"'
    return f"""
people:
  nord-1: {{name: Nord ett, email: nord@example.org, webhook: "{webhook}"}}
  syd-1: {{name: Syd ett, webhook: "{webhook}"}}
rotations:
  - {{region: nord, level: 1, shifts: [{{person: nord-1, days: {every_day}, {all_day}}}]}}
  - {{region: syd, level: 1, shifts: [{{person: syd-1, days: {every_day}, {all_day}}}]}}
"""


def breach(region: Region, episode: uuid.UUID, at: datetime | None = None) -> SlaBreached:
    now = at or datetime.now(UTC)
    window = SlaWindow(
        start=now - timedelta(hours=1), end=now, answered_within=6, answered_late=4, share=0.6
    )
    return SlaBreached(
        occurred_at=now, region=region, episode_id=episode, window=window, target=0.85
    )


async def publish(kafka: str, *events: Event) -> None:
    producer = EventProducer(kafka, "test-notify")
    await producer.start()
    for event in events:
        await producer.publish(event)
    await producer.stop()


def _received_any(webhook: WebhookReceiver, episode: uuid.UUID, _: object) -> bool:
    return bool(received(webhook, episode))


def received(webhook: WebhookReceiver, episode: uuid.UUID) -> list[dict[str, object]]:
    bodies = [r.json() for r in webhook.received]
    return [b for b in bodies if b.get("episode_id") == str(episode) and b["kind"] == "breach"]


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookReceiver, Mailbox]]:
    with webhook_receiver() as webhook, smtp_receiver() as mailbox:
        yield webhook, mailbox


def notify_process(
    kafka: str,
    tmp_path: Path,
    database_url: str,
    webhook: WebhookReceiver,
    mailbox: Mailbox,
    issuer: str,
    logs: str = "logs",
) -> ServiceProcess:
    schedule = tmp_path / "oncall.yaml"
    schedule.write_text(schedule_text(webhook.url))
    return ServiceProcess(
        "notify",
        free_port(),
        tmp_path / logs,
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "PKC_STATE_DIR": str(tmp_path),
            "DATABASE_URL": database_url,
            "PKC_TRACES_EXPORTER": "none",
            "PKC_NOTIFY_SCHEDULE_FILE": str(schedule),
            "PKC_NOTIFY_SMTP_PORT": str(mailbox.port),
            # The receiver keeps only what is signed with the secret it shares with notify.
            "PKC_NOTIFY_WEBHOOK_SECRET": webhook.secret,
            "PKC_OIDC_ISSUER": issuer,
            "PKC_NOTIFY_FIRST_BACKOFF_SECONDS": "0.1",
            "PKC_NOTIFY_DELIVERY_ATTEMPTS": "200",
            # A kill mid-send leaves the message claimed this long (the shortest allowed).
            "PKC_NOTIFY_CLAIM_SECONDS": "15",
            # Five looks a second, not the default one: with two replicas, the other one looks
            # at a row pending on a slow receiver many times (a second send would show).
            "PKC_NOTIFY_POLL_SECONDS": "0.2",
        },
    )


@pytest.fixture
def notify(
    kafka: str,
    tmp_path: Path,
    database_url: str,
    receivers: tuple[WebhookReceiver, Mailbox],
    identities: Identities,
) -> Iterator[ServiceProcess]:
    """One notify replica, started and ready; stopped after the test."""
    webhook, mailbox = receivers
    process = notify_process(kafka, tmp_path, database_url, webhook, mailbox, identities.issuer)
    process.start()
    try:
        wait_ready([process], timeout=60)
        yield process
    finally:
        process.stop()


def test_an_alert_outlives_a_receiver_outage_and_a_kill_and_arrives_once(
    kafka: str,
    notify: ServiceProcess,
    receivers: tuple[WebhookReceiver, Mailbox],
    identities: Identities,
) -> None:
    auditor = identities.person("auditor", "auditor", "national")
    webhook, mailbox = receivers
    webhook.status = 503  # the on-call receivers are down
    mailbox.refusing = True
    episode = uuid.uuid4()
    first = breach(Region.NORD, episode)
    asyncio.run(publish(kafka, first))
    poll(
        lambda: any(a["episode_id"] == str(episode) for a in alerts(notify, auditor)),
        "the breach to be planned",
        timeout=30,
    )

    notify.kill()  # with the webhook delivery still pending
    notify.start()
    wait_ready([notify], timeout=60)
    webhook.status = 200
    mailbox.refusing = False
    webhook.wait_for(lambda _: received(webhook, episode), timeout=30)

    # The same breach again (a replay), then another region's as a sentinel: once the
    # sentinel is delivered, a duplicate of the first would have been too.
    sentinel = uuid.uuid4()
    asyncio.run(publish(kafka, first, breach(Region.SYD, sentinel)))
    webhook.wait_for(lambda _: received(webhook, sentinel), timeout=30)
    mailbox.wait_for(lambda got: any(m["To"] == "nord@example.org" for m in got), 30)
    assert len(received(webhook, episode)) == 1
    assert len(mailbox.to("nord@example.org")) == 1


def test_two_replicas_on_one_database_send_each_message_once(
    kafka: str,
    tmp_path: Path,
    database_url: str,
    receivers: tuple[WebhookReceiver, Mailbox],
    identities: Identities,
) -> None:
    """Kubernetes runs two notify pods: both delivery loops see the same pending rows, and a
    slow receiver leaves a row pending while the other replica polls it many times."""
    webhook, mailbox = receivers
    webhook.delay = 1.0
    replicas = [
        notify_process(
            kafka, tmp_path, database_url, webhook, mailbox, identities.issuer, logs=f"logs-{i}"
        )
        for i in range(2)
    ]
    for replica in replicas:
        replica.start()
    try:
        wait_ready(replicas, timeout=60)
        episodes = {region: uuid.uuid4() for region in (Region.NORD, Region.SYD)}
        asyncio.run(publish(kafka, *(breach(r, e) for r, e in episodes.items())))
        for episode in episodes.values():
            webhook.wait_for(partial(_received_any, webhook, episode), timeout=30)
        mailbox.wait_for(lambda got: any(m["To"] == "nord@example.org" for m in got), 30)
        # All three deliveries (two webhooks, one e-mail) settled: a second send of any of them
        # would have started while it was pending, and the receivers record on arrival.
        auditor = identities.person("auditor", "auditor", "national")
        settled = partial(delivered, replicas[0], auditor)
        poll(lambda: settled() >= 3, "all three deliveries settled", timeout=30)
    finally:
        for replica in replicas:
            replica.stop()
    for region, episode in episodes.items():
        assert len(received(webhook, episode)) == 1, f"{region} breach sent more than once"
    assert len(mailbox.to("nord@example.org")) == 1


def delivered(notify: ServiceProcess, auditor: Headers) -> int:
    log = httpx.get(f"{notify.url}/alerts/log", timeout=5, headers=auditor).json()
    return sum(1 for entry in log if entry["action"] == "delivered")


def alerts(notify: ServiceProcess, auditor: Headers) -> list[dict[str, object]]:
    return list(httpx.get(f"{notify.url}/alerts", timeout=5, headers=auditor).json())


def test_a_bad_schedule_is_refused_over_http_and_the_old_one_kept(
    notify: ServiceProcess, receivers: tuple[WebhookReceiver, Mailbox], identities: Identities
) -> None:
    webhook, _ = receivers
    supervisor = identities.person("supervisor-national", "supervisor", "national")
    on_call = identities.person("oncall-syd", "oncall", "syd")
    bad = schedule_text(webhook.url).replace("region: syd", "region: gotland")
    schedule_url = f"{notify.url}/oncall/schedule"
    refused = httpx.put(schedule_url, json={"yaml": bad}, headers=supervisor)
    assert refused.status_code == 422
    assert "unknown region 'gotland'" in refused.json()["detail"]
    assert httpx.put(schedule_url, json={"yaml": bad}).status_code == 401
    assert httpx.put(schedule_url, json={"yaml": bad}, headers=on_call).status_code == 403
    assert httpx.get(f"{notify.url}/oncall", params={"region": "syd"}).status_code == 401
    on_call_now = httpx.get(f"{notify.url}/oncall", params={"region": "syd"}, headers=on_call)
    assert [c["person"] for c in on_call_now.json()] == ["syd-1"]


def test_a_delivery_that_keeps_failing_is_given_up_and_logged(tmp_path: Path) -> None:
    schedule = tmp_path / "oncall.yaml"
    schedule.write_text(schedule_text("https://hooks.example.org/x"))
    settings = NotifySettings(
        delivery_attempts=3, webhook_url=None, state_dir=tmp_path, schedule_file=schedule
    )
    notify = bootstrap(settings)
    outbox = notify.outbox
    assert notify.alerts.take(breach(Region.SYD, uuid.uuid4()), NOW, NOW)
    (pending,) = outbox.claim_due(NOW)
    assert pending.id is not None
    outcomes = [
        outbox.settle(Sent(pending.id, False, False, "HTTP 503"), NOW, NOW) for _ in range(3)
    ]
    assert outcomes[:2] == [None, None], "retried before giving up"
    final = outcomes[2]
    assert final is not None
    assert not final.delivered
    assert final.detail == "gave up: HTTP 503"
    assert outbox.claim_due(NOW + timedelta(hours=1)) == []
    assert [e.action for e in notify.store.log(10)] == ["failed"]


def test_a_replayed_old_month_pages_nobody_while_a_fresh_breach_is_delivered(
    kafka: str,
    notify: ServiceProcess,
    receivers: tuple[WebhookReceiver, Mailbox],
    identities: Identities,
) -> None:
    """May 2023 replayed into notify (docs/monthly.md): its breaches and predictions are
    recorded in the alert log as too old, and nobody on call today hears of them."""
    webhook, mailbox = receivers
    auditor = identities.person("auditor", "auditor", "national")
    may_2023 = [datetime(2023, 5, day, 10, 0, tzinfo=UTC) for day in (3, 12, 24)]
    old_episodes = {uuid.uuid4(): (r, at) for at in may_2023 for r in (Region.NORD, Region.SYD)}
    replay: list[Event] = [breach(r, e, at) for e, (r, at) in old_episodes.items()]
    replay += [breach_predicted(r, at) for r, at in old_episodes.values()]
    asyncio.run(publish(kafka, *replay))
    poll(lambda: len(skipped(notify, auditor)) == len(replay), "the replay recorded", timeout=30)
    old_alerts = {str(breach_id(e)) for e in old_episodes}
    assert old_alerts <= {entry["alert_id"] for entry in skipped(notify, auditor)}

    # Today's breach: once it is delivered, anything planned for the replay would have been.
    fresh = uuid.uuid4()
    asyncio.run(publish(kafka, breach(Region.NORD, fresh)))
    webhook.wait_for(lambda _: received(webhook, fresh), timeout=30)
    mailbox.wait_for(lambda got: any(m["To"] == "nord@example.org" for m in got), 30)
    assert [r.json()["episode_id"] for r in webhook.received] == [str(fresh)]
    assert len(mailbox.to("nord@example.org")) == 1
    stored = [a["episode_id"] for a in alerts(notify, auditor)]
    assert stored == [str(fresh)], "no alert stored for the replay"

    # The delivery's event reaches the alert topic through notify's outbox relay.
    def fresh_delivered(records: Records) -> bool:
        events = [decode_event(r.value) for r in records if r.value is not None]
        return any(isinstance(e, AlertDelivered) and e.alert_id == breach_id(fresh) for e in events)

    asyncio.run(read_until(kafka, ALERTS.name, fresh_delivered, timeout=30))


def skipped(notify: ServiceProcess, auditor: Headers) -> list[dict[str, object]]:
    log = httpx.get(f"{notify.url}/alerts/log", timeout=5, headers=auditor).json()
    return [entry for entry in log if entry["action"] == "skipped_stale"]
