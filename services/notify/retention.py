"""What notify keeps, for how long, and a contact's erasure (docs/retention.md).

Deliveries hold on-call people's addresses and, for a written emergency, the message naming
the contact: purged once final and past their retention. Old schedule versions (people's names,
numbers, addresses) go after theirs; the current version always stays. The alert log is the
evidence of who was paged and who acknowledged: kept longest. Events leave through the outbox
and are deleted once published, so the outbox needs no purge."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from services.notify.policy import written_emergency_id
from services.notify.schedule_store import ScheduleStore
from services.notify.tables import Alert, AlertLog, Delivery
from services.shared.clock import Clock
from services.shared.periodic import every

if TYPE_CHECKING:  # settings build a Retention: imported for the annotation only
    from services.notify.settings import NotifySettings

ERASED = "[erased]"


@dataclass(frozen=True)
class Retention:
    deliveries: timedelta  # a final delivery, from its last attempt
    schedules: timedelta  # a replaced schedule version, from when it was saved
    log: timedelta  # an alert log row, from when it was written


async def purging(
    engine: Engine, schedules: ScheduleStore, clock: Clock, settings: "NotifySettings"
) -> None:
    """Purges what is past its retention, every `retention_interval_seconds`, until cancelled."""
    keep = settings.retention()

    def purge_once() -> None:
        purge(engine, schedules, clock.now(), keep)

    await every(settings.retention_interval_seconds, "retention", purge_once)


def purge(engine: Engine, schedules: ScheduleStore, now: datetime, keep: Retention) -> None:
    with Session(engine) as session:
        run = session.connection().execute
        run(
            delete(Delivery).where(
                col(Delivery.status) != "pending", col(Delivery.next_at) < now - keep.deliveries
            )
        )
        run(delete(AlertLog).where(col(AlertLog.at) < now - keep.log))
        session.commit()
    schedules.forget_older_than(now - keep.schedules)


def erase_contact(
    engine: Engine, contact_id: uuid.UUID, name: str, subject: str, now: datetime
) -> dict[str, int]:
    """Removes what a written emergency's alert says of the contact (its facts, its messages)
    and logs which auditor erased it; the alert and its log stay, naming no contact."""
    alert_id = written_emergency_id(contact_id)
    with Session(engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return {"alerts": 0, "deliveries": 0}
        alert.facts = None
        session.add(alert)
        # A delivery still pending would page about a contact that is no longer there.
        of_alert = col(Delivery.alert_id) == alert_id
        run = session.connection().execute
        run(
            update(Delivery)
            .where(of_alert, col(Delivery.status) == "pending")
            .values(status="failed", detail="contact erased before delivery")
        )
        messages = run(update(Delivery).where(of_alert).values(subject=ERASED, body=ERASED))
        session.add(
            AlertLog(
                alert_id=alert_id,
                region=alert.region,
                kind=alert.kind,
                action="erased",
                level=alert.level,
                at=now,
                person=name[:64],
                subject=subject[:255],
                via="api",
            )
        )
        session.commit()
    return {"alerts": 1, "deliveries": int(messages.rowcount)}
