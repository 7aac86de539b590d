"""The delivery outbox: one row per message to one address, written with its alert; replicas
claim due rows for a lease before sending, and settle each attempt (retry with backoff, or
final: delivered, refused, or out of attempts)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from schemas import AlertDelivered, Region
from services.notify.messages import Message
from services.notify.repository import ALERT_KIND, NotifyStore, claim_each
from services.notify.tables import Alert, Delivery
from services.shared.ids import derived_id


@dataclass(frozen=True)
class Target:
    """One address of one person (or the desk) at one level of the chain."""

    level: int
    transport: str  # webhook or email
    recipient: str  # on-call person id, never a citizen
    address: str


@dataclass(frozen=True)
class Sent:
    """A delivery's outcome, as the delivery loop reports it."""

    delivery_id: int
    delivered: bool
    final: bool  # delivered, refused or out of attempts
    detail: str


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    first_backoff_seconds: float
    lease_seconds: float  # longer than one attempt: no other replica sends it meanwhile


def deliveries(
    alert: Alert,
    message: Message,
    targets: list[Target],
    wall: datetime,
    link_for: Callable[[str], str | None],
) -> list[Delivery]:
    """The rows for one message, each with the acknowledgement link `link_for` makes for its
    recipient; the key makes planning the same delivery twice fail."""
    made = []
    for target in targets:
        addressed = message.with_link(link_for(target.recipient))
        body = json.dumps(addressed.payload | {"level": target.level}, ensure_ascii=False)
        made.append(
            Delivery(
                alert_id=alert.alert_id,
                key=f"{alert.alert_id}|{target.level}|{target.transport}|{target.recipient}",
                region=alert.region,
                level=target.level,
                transport=target.transport,
                recipient=target.recipient,
                address=target.address,
                subject=message.subject[:200],
                body=body if target.transport == "webhook" else addressed.text,
                next_at=wall,
            )
        )
    return made


class Outbox:
    def __init__(self, store: NotifyStore, retry: RetryPolicy):
        self.store = store
        self.retry = retry

    def claim_due(self, wall: datetime, limit: int = 50) -> list[Delivery]:
        """Claims up to `limit` due deliveries for this replica and returns them.

        Claiming moves a row's next_at past a lease, only if it is still due: of two replicas
        that saw the same row, one updates it and the other finds it no longer due. A replica
        that dies mid-send leaves the row to be sent again when the lease ends."""
        lease_until = wall + timedelta(seconds=self.retry.lease_seconds)
        due = (col(Delivery.status) == "pending", col(Delivery.next_at) <= wall)
        query = select(Delivery).where(*due).order_by(col(Delivery.id)).limit(limit)
        with Session(self.store.engine, expire_on_commit=False) as session:
            return claim_each(session, query, col(Delivery.id), *due, next_at=lease_until)

    def settle(self, sent: Sent, wall: datetime, now: datetime) -> AlertDelivered | None:
        """Records one attempt; once the delivery is final, writes its event to the outbox with
        it and returns the event."""
        done = None
        with self.store.transaction() as tx:
            delivery = tx.delivery(sent.delivery_id)
            if delivery is None or delivery.status != "pending":
                return None
            self._record(delivery, sent, wall)
            tx.add_delivery(delivery)
            alert = tx.alerts.get(delivery.alert_id)
            if delivery.status != "pending" and alert is not None:
                tx.alerts.log(
                    alert,
                    delivery.status,
                    delivery.level,
                    transport=delivery.transport,
                    recipient=delivery.recipient,
                    detail=delivery.detail,
                    at=now,
                )
                done = _delivered(alert, delivery, now)
                tx.emit(done)
            if not tx.commit():
                return None
        return done

    def _record(self, delivery: Delivery, sent: Sent, wall: datetime) -> None:
        delivery.attempts += 1
        delivery.detail = sent.detail[:200]
        if sent.delivered:
            delivery.status = "delivered"
        elif sent.final or delivery.attempts >= self.retry.attempts:
            delivery.status = "failed"
            delivery.detail = f"gave up: {sent.detail}"[:200]
        else:
            backoff = self.retry.first_backoff_seconds * 2 ** (delivery.attempts - 1)
            delivery.next_at = wall + timedelta(seconds=backoff)


def _delivered(alert: Alert, delivery: Delivery, now: datetime) -> AlertDelivered:
    return AlertDelivered(
        event_id=derived_id(alert.alert_id, delivery.key),
        occurred_at=now,
        region=Region(alert.region),
        alert_id=alert.alert_id,
        cause_event_id=alert.alert_id,
        kind=ALERT_KIND.get(alert.kind, "breach"),
        transport="email" if delivery.transport == "email" else "webhook",
        recipient=delivery.recipient,
        level=delivery.level,
        delivered=delivery.status == "delivered",
        attempts=max(1, delivery.attempts),
        detail=delivery.detail,
    )
