"""Notify's events go through a transactional outbox, on a real database (SQLite and
PostgreSQL): an event committed just before a crash is published by the relay after the
restart, an acknowledgement repeated publishes once, and two relays never publish a row
together while a dead relay's rows are taken over when its lease ends."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas import AlertAcknowledged, AlertDelivered
from services.notify.acknowledgement import Acknowledger
from services.notify.bootstrap import Notify
from services.notify.policy import breach_id
from services.notify.relay import EventOutbox
from tests.integration.test_notify_alerts import NOW, breached, deliver, notify_on
from tests.notify_events import Published, relay_outbox

ON_CALL = Acknowledger.signed_in("syd-day", "subject-syd-day")


def publishing(notify: Notify) -> Published:
    """Notify's relay, publishing into a list."""
    published = Published()
    notify.relay.producer = published
    return published


def test_events_committed_before_a_crash_are_published_after_the_restart(
    database_url: str, tmp_path: Path
) -> None:
    crashing = notify_on(database_url, tmp_path)
    episode = uuid.uuid4()
    assert crashing.alerts.take(breached(episode, NOW), NOW, NOW)
    assert len(deliver(crashing, NOW)) == 2  # webhook and e-mail, each settled as delivered
    acknowledged = crashing.alerts.acknowledge(breach_id(episode), ON_CALL, NOW)
    assert acknowledged is not None
    # The process dies here, after its commits and before its relay published anything.

    restarted = notify_on(database_url, tmp_path)
    published = publishing(restarted)
    relay_outbox(restarted.relay)
    delivered = [e for e in published.events if isinstance(e, AlertDelivered)]
    assert sorted(e.transport for e in delivered) == ["email", "webhook"]
    assert {e.alert_id for e in delivered} == {breach_id(episode)}
    assert published.events[-1] == acknowledged, "in the order they were committed"
    relay_outbox(restarted.relay)
    assert len(published.events) == 3, "a published event is not published again"


def test_an_acknowledgement_repeated_publishes_once(database_url: str, tmp_path: Path) -> None:
    notify = notify_on(database_url, tmp_path)
    published = publishing(notify)
    episode = uuid.uuid4()
    assert notify.alerts.take(breached(episode, NOW), NOW, NOW)
    alert_id = breach_id(episode)

    first = notify.alerts.acknowledge(alert_id, ON_CALL, NOW)
    # The API call retried (its response was lost), and the mailed link pressed as well.
    later = NOW + timedelta(minutes=1)
    assert notify.alerts.acknowledge(alert_id, ON_CALL, later) is None
    assert notify.alerts.acknowledge(alert_id, Acknowledger.by_link("syd-day"), later) is None
    relay_outbox(notify.relay)

    acknowledgements = [e for e in published.events if isinstance(e, AlertAcknowledged)]
    assert acknowledgements == [first]


def test_two_relays_never_hold_one_row_and_a_dead_relays_rows_are_taken_over(
    database_url: str, tmp_path: Path
) -> None:
    notify = notify_on(database_url, tmp_path)
    assert notify.alerts.take(breached(uuid.uuid4(), NOW), NOW, NOW)
    deliver(notify, NOW)  # two events in the outbox
    first, second = (EventOutbox(notify.store, lease_seconds=30) for _ in range(2))
    wall = datetime.now(UTC)

    claimed = first.claim(wall)
    assert len(claimed) == 2
    assert second.claim(wall + timedelta(seconds=29)) == [], "held by the first relay"
    # The first relay died before publishing: when its lease ends, the second takes them over.
    taken_over = second.claim(wall + timedelta(seconds=31))
    assert [r.id for r in taken_over] == [r.id for r in claimed]
    second.published([r.id for r in taken_over if r.id is not None])
    assert first.pending() == 0
