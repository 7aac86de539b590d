"""Notify's freshness horizon: an event older than it (by notify's clock, simulated or not) is
news from the past, such as an archived month replayed into the platform, or a backlog after
a long outage. Its decisions are recorded in the alert log as `skipped_stale` and never sent:
whoever is on call today is not paged about 2023 (queueing bounds a contact's wait the same
way, max_wait_seconds).

A stale event may still end what notify has open (a recovery closes its episode, so the breach
stops escalating), but it never starts anything: no alert, no held breach, no delivery."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notify.policy import (
    AlertEvent,
    ChangeEpisode,
    Decision,
    HoldBreach,
    HoldRequest,
    SendAlert,
)
from services.notify.repository import HELD, STORED_KIND, Transaction, new_alert
from services.notify.tables import Alert

SKIPPED_STALE = "skipped_stale"  # the alert log's action for a decision too old to send


@dataclass(frozen=True)
class Freshness:
    horizon: timedelta

    def is_stale(self, event: AlertEvent, now: datetime) -> bool:
        return event.occurred_at < now - self.horizon

    def skip(self, tx: Transaction, decision: Decision, event: AlertEvent, now: datetime) -> None:
        """A log row for what a stale event would have sent (or held to send); once, though the
        same old month is replayed again. The alert itself is not stored: it opens nothing."""
        if isinstance(decision, SendAlert):
            alert_id, kind, level = decision.alert_id, STORED_KIND[decision.kind], decision.level
        elif isinstance(decision, HoldBreach):
            alert_id, kind, level = decision.alert_id, HELD, 1
        elif isinstance(decision, HoldRequest):
            alert_id, kind, level = decision.alert_id, STORED_KIND["reinforcement"], 1
        else:
            return
        if not tx.alerts.logged(alert_id, SKIPPED_STALE):
            unsent = new_alert(event.region, alert_id, None, kind, now)
            tx.alerts.log(unsent, SKIPPED_STALE, level, detail=self._why(event), at=now)

    def skip_sending(self, tx: Transaction, alert: Alert, event: AlertEvent, now: datetime) -> None:
        """A log row for a stale alert stored (a recovery: its episode is over) but not sent."""
        tx.alerts.log(alert, SKIPPED_STALE, alert.level, detail=self._why(event), at=now)

    def _why(self, event: AlertEvent) -> str:
        minutes = round(self.horizon.total_seconds() / 60)
        happened = event.occurred_at.astimezone(UTC)
        return f"event time {happened:%Y-%m-%d %H:%M} UTC is older than {minutes} min: not sent"


def ends_something(decision: Decision) -> bool:
    """The decisions a stale event still applies: it closes or follows what is open."""
    if isinstance(decision, SendAlert):
        return decision.kind == "recovery"  # stored (the episode is over), never sent
    return isinstance(decision, ChangeEpisode)
