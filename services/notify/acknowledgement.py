"""Acknowledging an alert: stops its escalation and records who, once. Through the API the
signed-in on-call person acknowledges as themselves; through a signed link (confirmed by a POST)
the recipient the link names does."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from schemas import AlertAcknowledged, Region
from services.notify.repository import NotifyStore
from services.shared.ids import derived_id

_ATTEMPTS = 5  # each retry follows another replica's change to the same alert


class AlertNotFound(LookupError):
    """No alert with that id."""


@dataclass(frozen=True)
class Acknowledger:
    """Who acknowledges, as the alert log names them: through the API, the signed-in person
    (user name and token subject); through a link, the recipient it was sent to (the schedule's
    person id, or a webhook receiver's id; `schedule:<id>` as the subject)."""

    name: str
    subject: str
    via: Literal["api", "link"]

    @classmethod
    def signed_in(cls, name: str, subject: str) -> "Acknowledger":
        return cls(name[:64], subject[:255], "api")

    @classmethod
    def by_link(cls, recipient: str) -> "Acknowledger":
        return cls(recipient[:64], f"schedule:{recipient}"[:255], "link")


def acknowledge(
    store: NotifyStore, alert_id: uuid.UUID, by: Acknowledger, now: datetime
) -> AlertAcknowledged | None:
    """Stops the alert's escalation, recording who, and writes the event to publish with it;
    None when it was acknowledged already (the first acknowledgement stands, and nothing is
    published again)."""
    for _ in range(_ATTEMPTS):
        with store.transaction() as tx:
            alert = tx.alerts.get(alert_id)
            if alert is None:
                raise AlertNotFound("no such alert")
            if alert.acknowledged_at is not None:
                return None
            # Only if still as loaded: of two acknowledgements at once, one is recorded.
            acked = {"acknowledged_at": now, "acknowledged_by": by.name, "escalate_at": None}
            if not tx.alerts.change(alert, **acked):
                continue  # escalated or acknowledged meanwhile: look again
            detail = f"via {by.via} by {by.name}"
            who = {"person": by.name, "subject": by.subject, "via": by.via}
            tx.alerts.log(alert, "acknowledged", alert.level, detail=detail, at=now, **who)
            event = AlertAcknowledged(
                event_id=derived_id(alert_id, "acknowledged"),
                occurred_at=now,
                region=Region(alert.region),
                alert_id=alert_id,
                acknowledged_by=by.name,
                via=by.via,
            )
            # Written only by the transaction that changed the alert: a retried request, or a
            # second acknowledgement, changes nothing and so publishes nothing.
            tx.emit(event)
            if tx.commit():
                return event
    raise RuntimeError("the alert kept changing while it was being acknowledged")
