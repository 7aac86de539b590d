"""A replay pages nobody: an event older than notify's freshness horizon is recorded in the
alert log and never sent, on a real database (SQLite and PostgreSQL), while a fresh one still
is; and a stale recovery still ends the episode it closes."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas import Region
from services.notify.handlers import AlertHandler
from services.notify.policy import breach_id
from services.shared.clock import SimulatedClock
from tests.integration.test_notify_alerts import NOW, breached, deliver, notify_on, recovered, sent
from tests.notify_events import breach_predicted

HORIZON = timedelta(minutes=60)


def test_a_breach_older_than_the_horizon_is_logged_never_sent_and_a_fresh_one_is(
    database_url: str, tmp_path: Path
) -> None:
    notify = notify_on(database_url, tmp_path, freshness_minutes=60, escalation_minutes=10)
    old, episode = NOW - HORIZON - timedelta(seconds=1), uuid.uuid4()

    assert not notify.alerts.take(breached(episode, old), NOW, NOW)
    assert not notify.alerts.take(breached(episode, old), NOW, NOW), "replayed twice"
    assert deliver(notify, NOW) == []
    assert notify.store.recent(10) == [], "no alert stored: it opens no episode"
    (skipped,) = notify.store.log(10)
    assert (skipped.action, skipped.alert_id, skipped.kind) == (
        "skipped_stale",
        breach_id(episode),
        "breach",
    )
    assert f"event time {old:%Y-%m-%d %H:%M} UTC is older than 60 min" in skipped.detail
    later = NOW + timedelta(hours=1)
    assert notify.alerts.escalate_due(later, later) == [], "nothing to escalate"

    # Today's breach in the same region is alerted as ever, and so is one just inside.
    fresh = uuid.uuid4()
    assert notify.alerts.take(breached(fresh, NOW), NOW, NOW)
    assert [b["episode_id"] for b in sent(notify, NOW)] == [str(fresh)]


def test_a_prediction_just_inside_the_horizon_is_sent_and_one_outside_is_not(
    database_url: str, tmp_path: Path
) -> None:
    notify = notify_on(database_url, tmp_path, freshness_minutes=60)
    assert not notify.alerts.take(
        breach_predicted(Region.SYD, NOW - timedelta(minutes=120)), NOW, NOW
    )
    assert sent(notify, NOW) == []
    assert notify.alerts.take(breach_predicted(Region.SYD, NOW - timedelta(minutes=59)), NOW, NOW)
    assert [b["kind"] for b in sent(notify, NOW)] == ["predicted_breach"]
    assert [e.action for e in notify.store.log(10)].count("skipped_stale") == 1


def test_a_stale_recovery_ends_its_episode_without_a_message(
    database_url: str, tmp_path: Path
) -> None:
    """Notify was down for hours: the recovery it reads on return stops the breach's
    escalation and closes its episode, but tells nobody hours late."""
    notify = notify_on(database_url, tmp_path, freshness_minutes=60, escalation_minutes=600)
    episode = uuid.uuid4()
    assert notify.alerts.take(breached(episode, NOW), NOW, NOW)
    assert [b["kind"] for b in sent(notify, NOW)] == ["breach"]

    recovered_at, back = NOW + timedelta(minutes=5), NOW + timedelta(hours=3)
    assert not notify.alerts.take(recovered(episode, recovered_at), back, back)
    assert sent(notify, back) == []
    kinds = {a.kind: a for a in notify.store.recent(10)}
    assert kinds["breach"].escalate_at is None, "the breach stopped escalating"
    assert "recovery" in kinds, "its episode is over"
    (newest,) = notify.store.log(1)
    assert (newest.action, newest.kind) == ("skipped_stale", "recovery")
    # With no episode open, a prediction for the region is alerted again.
    assert notify.alerts.take(breach_predicted(Region.SYD, back), back, back)
    assert [b["kind"] for b in sent(notify, back)] == ["predicted_breach"]


def test_the_horizon_is_measured_on_the_platforms_clock(database_url: str, tmp_path: Path) -> None:
    """A platform whose simulated clock stands in May 2023 (`pkc run --clock-start`) alerts its
    own breaches: they are fresh by its clock, though years old by the wall's."""
    notify = notify_on(database_url, tmp_path, freshness_minutes=60)
    may_2023 = datetime(2023, 5, 12, 10, 0, tzinfo=UTC)
    handler = AlertHandler(notify.alerts, SimulatedClock(may_2023, speed=0.0), asyncio.Event())
    episode = uuid.uuid4()
    asyncio.run(handler(breached(episode, may_2023 - timedelta(minutes=2))))
    assert handler.wake.is_set(), "something to send"
    assert [a.alert_id for a in notify.store.recent(10)] == [breach_id(episode)]
