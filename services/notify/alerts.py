"""Alerts and their deliveries in the database: what to send for an SLA event, escalation,
acknowledgement, and the delivery outbox. Every change and its log row are one transaction."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from schemas import (
    AlertAcknowledged,
    AlertDelivered,
    AlertEscalated,
    Region,
    ReinforcementRequested,
    SlaBreached,
    SlaBreachPredicted,
    SlaRecovered,
    SlaStatus,
)
from schemas.envelope import Event
from schemas.events import AlertKind
from services.notify.ack import sign_ack
from services.notify.messages import Message, compose
from services.notify.schedule import Schedule
from services.notify.settings import NotifySettings
from services.notify.tables import Alert, AlertLog, Delivery
from services.shared.runtime import derived_id

DESK = "desk"  # the recipient id of the settings' extra webhook
_PREDICTED = uuid.UUID("6f2d0d5e-4a8e-4c43-9a55-0b1a4c1f3a10")  # namespace of predicted alerts


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Sent:
    """A delivery's outcome, as the delivery loop reports it."""

    delivery_id: int
    delivered: bool
    final: bool  # delivered, refused or out of attempts
    detail: str


class AlertBook:
    def __init__(self, engine: Engine, settings: NotifySettings, schedule: Callable[[], Schedule]):
        self.engine = engine
        self.settings = settings
        self.schedule = schedule

    # --- planning -------------------------------------------------------------------------
    def take(self, event: Event, now: datetime, wall: datetime) -> bool:
        """Plans the alert an SLA event calls for; False when it calls for none (already
        alerted, quiet period, nothing open). `now` is the platform's clock, `wall` real time."""
        with Session(self.engine) as session:
            planned = self._plan(session, event, now)
            if planned is None:
                return False
            alert, kind, message_for = planned
            session.add(alert)
            levels = range(1, alert.level + 1)
            self._add_deliveries(session, alert, kind, levels, now, wall, message_for)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()  # a concurrent or replayed plan of the same alert
                return False
            return True

    def _plan(
        self, session: Session, event: Event, now: datetime
    ) -> tuple[Alert, str, Callable[[str | None], Message]] | None:
        if isinstance(event, SlaBreached):
            if session.get(Alert, derived_id(event.episode_id, "breach")) is not None:
                return None
            if self._recovered_within_quiet_period(session, event.region, now):
                return None  # flapping: the last recovery was a moment ago
            alert = self._new(event, "breach", derived_id(event.episode_id, "breach"), now)
            alert.escalate_at = now + timedelta(minutes=self.settings.escalation_minutes)
            alert.share = event.window.share
            return alert, "breach", lambda ack: compose("breach", event, alert.alert_id, ack)
        if isinstance(event, ReinforcementRequested | SlaRecovered):
            kind = "recovery" if isinstance(event, SlaRecovered) else "reinforcement"
            breach = session.get(Alert, derived_id(event.episode_id, "breach"))
            alert_id = derived_id(event.episode_id, kind)
            if breach is None or session.get(Alert, alert_id) is not None:
                return None  # no breach alert (suppressed or never sent), or sent already
            if kind == "recovery":
                breach.escalate_at = None  # the episode is over: stop escalating
                session.add(breach)
            alert = self._new(event, kind, alert_id, now, level=breach.level)
            previous = breach.share
            return alert, kind, lambda ack: compose(kind, event, alert_id, ack, previous)
        if isinstance(event, SlaBreachPredicted):
            hour = event.window.end.replace(minute=0, second=0, microsecond=0)
            alert_id = uuid.uuid5(_PREDICTED, f"{event.region.value}|{hour.isoformat()}")
            if session.get(Alert, alert_id) is not None or self._open_breach(session, event.region):
                return None
            alert = self._new(event, "predicted", alert_id, now)
            return (
                alert,
                "predicted_breach",
                lambda ack: compose("predicted_breach", event, alert_id, ack),
            )
        if isinstance(event, SlaStatus) and event.window.share is not None:
            return self._worsening(session, event, now)
        return None

    def _worsening(
        self, session: Session, event: SlaStatus, now: datetime
    ) -> tuple[Alert, str, Callable[[str | None], Message]] | None:
        breach = self._open_breach(session, event.region)
        share = event.window.share
        if breach is None or breach.share is None or share is None:
            return None
        if breach.share - share < self.settings.worsening_step - 1e-9:
            return None
        previous = breach.share
        breach.share = share
        session.add(breach)
        steps = round((1.0 - share) / self.settings.worsening_step)
        alert_id = derived_id(breach.alert_id, f"update-{steps}")
        if session.get(Alert, alert_id) is not None:
            return None
        alert = self._new(event, "update", alert_id, now, level=breach.level)
        alert.episode_id = breach.episode_id
        return (
            alert,
            "breach_update",
            lambda ack: compose("breach_update", event, breach.alert_id, ack, previous),
        )

    def _new(
        self, event: Event, kind: str, alert_id: uuid.UUID, now: datetime, level: int = 1
    ) -> Alert:
        return Alert(
            alert_id=alert_id,
            region=event.region.value,  # type: ignore[attr-defined]
            episode_id=getattr(event, "episode_id", None),
            kind=kind,
            level=level,
            created_at=now,
        )

    def _open_breach(self, session: Session, region: Region) -> Alert | None:
        query = (
            select(Alert)
            .where(Alert.region == region.value, Alert.kind == "breach")
            .order_by(col(Alert.created_at).desc())
            .limit(1)
        )
        latest = session.exec(query).first()
        if latest is None or latest.episode_id is None:
            return None
        recovered = session.get(Alert, derived_id(latest.episode_id, "recovery"))
        return latest if recovered is None else None

    def _recovered_within_quiet_period(
        self, session: Session, region: Region, now: datetime
    ) -> bool:
        since = now - timedelta(minutes=self.settings.quiet_minutes)
        query = select(Alert).where(
            Alert.region == region.value, Alert.kind == "recovery", Alert.created_at >= since
        )
        return session.exec(query).first() is not None

    def _add_deliveries(
        self,
        session: Session,
        alert: Alert,
        kind: str,
        levels: range,
        now: datetime,
        wall: datetime,
        message_for: Callable[[str | None], Message],
    ) -> None:
        region = Region(alert.region)
        ack_url = None
        if kind in ("breach", "breach_update", "predicted_breach", "reinforcement"):
            acked = alert.alert_id if kind != "breach_update" else self._breach_id(alert)
            expires = now + timedelta(hours=self.settings.ack_valid_hours)
            token = sign_ack(self.settings.ack_secret, acked, expires)
            ack_url = f"{self.settings.ack_base()}/ack?token={token}"
        message = message_for(ack_url)
        targets: list[tuple[int, str, str, str]] = []  # level, transport, recipient, address
        for level in levels:
            on_call = self.schedule().on_call(region, level, now)
            if on_call is None:
                continue
            person = on_call.person
            if person.webhook:
                targets.append((level, "webhook", person.id, person.webhook))
            if person.email:
                targets.append((level, "email", person.id, person.email))
        if self.settings.webhook_url and levels.start == 1:
            targets.append((1, "webhook", DESK, self.settings.webhook_url))
        for level, transport, recipient, address in targets:
            body = json.dumps(message.payload | {"level": level}, ensure_ascii=False)
            session.add(
                Delivery(
                    alert_id=alert.alert_id,
                    key=f"{alert.alert_id}|{level}|{transport}|{recipient}",
                    region=alert.region,
                    level=level,
                    transport=transport,
                    recipient=recipient,
                    address=address,
                    subject=message.subject[:200],
                    body=body if transport == "webhook" else message.text,
                    next_at=wall,
                )
            )

    @staticmethod
    def _breach_id(alert: Alert) -> uuid.UUID:
        assert alert.episode_id is not None
        return derived_id(alert.episode_id, "breach")

    # --- escalation and acknowledgement -----------------------------------------------------
    def escalate_due(self, now: datetime, wall: datetime) -> list[AlertEscalated]:
        escalated = []
        with Session(self.engine) as session:
            due = session.exec(
                select(Alert).where(
                    col(Alert.escalate_at).is_not(None),
                    col(Alert.acknowledged_at).is_(None),
                    col(Alert.escalate_at) <= now,
                )
            ).all()
            for alert in due:
                region = Region(alert.region)
                higher = [lvl for lvl in self.schedule().levels(region) if lvl > alert.level]
                if not higher:
                    alert.escalate_at = None  # nobody further up: it stays with the last level
                    session.add(alert)
                    continue
                to_level = higher[0]
                alert.escalate_at = now + timedelta(minutes=self.settings.escalation_minutes)
                from_level, alert.level = alert.level, to_level
                session.add(alert)
                breach = self._reminder(alert, from_level)
                self._add_deliveries(
                    session, alert, "breach", range(to_level, to_level + 1), now, wall, breach
                )
                self._log(
                    session, alert, "escalated", to_level, detail=f"from level {from_level}", at=now
                )
                escalated.append(
                    AlertEscalated(
                        event_id=derived_id(alert.alert_id, f"escalated-{to_level}"),
                        occurred_at=now,
                        region=region,
                        alert_id=alert.alert_id,
                        from_level=from_level,
                        to_level=to_level,
                    )
                )
            try:
                session.commit()
            except IntegrityError:  # another replica escalated the same alerts first
                session.rollback()
                return []
        return escalated

    def _reminder(self, alert: Alert, from_level: int) -> Callable[[str | None], Message]:
        def message(ack_url: str | None) -> Message:
            name = Region(alert.region).display_name
            share = f"{alert.share:.1%}" if alert.share is not None else "n/a"
            subject = f"[PKC] ESCALATED: {name} below target ({share} within 10 minutes)"
            text = (
                f"{name} has been below the 85 % target since {alert.created_at:%H:%M} UTC "
                f"(now {share}) and on-call level {from_level} has not acknowledged.\n"
            )
            payload = {
                "alert_id": str(alert.alert_id),
                "kind": "breach",
                "escalated_from": from_level,
                "region": alert.region,
                "region_name": name,
                "share": alert.share,
                "summary": subject.removeprefix("[PKC] "),
            }
            if ack_url:
                payload["ack_url"] = ack_url
                text += f"Acknowledge: {ack_url}\n"
            return Message(subject, text, payload)

        return message

    def acknowledge(
        self, alert_id: uuid.UUID, by: str, via: str, now: datetime
    ) -> AlertAcknowledged | None:
        """Stops the alert's escalation; None when it was acknowledged already."""
        with Session(self.engine) as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise NotFound(f"no alert {alert_id}")
            if alert.acknowledged_at is not None:
                return None
            alert.acknowledged_at, alert.acknowledged_by, alert.escalate_at = now, by[:64], None
            session.add(alert)
            self._log(
                session,
                alert,
                "acknowledged",
                alert.level,
                detail=f"via {via} by {by}"[:200],
                at=now,
            )
            session.commit()
            return AlertAcknowledged(
                event_id=derived_id(alert_id, "acknowledged"),
                occurred_at=now,
                region=Region(alert.region),
                alert_id=alert_id,
                acknowledged_by=by[:64],
                via="link" if via == "link" else "api",
            )

    # --- the delivery outbox ---------------------------------------------------------------
    def due_deliveries(self, wall: datetime, limit: int = 50) -> list[Delivery]:
        """Claims up to `limit` due deliveries for this replica and returns them.

        Claiming moves a row's next_at past a lease, only if it is still due: of two replicas
        that saw the same row, one updates it and the other finds it no longer due. A replica
        that dies mid-send leaves the row to be sent again when the lease ends."""
        lease_until = wall + timedelta(seconds=self.settings.claim_seconds)
        with Session(self.engine, expire_on_commit=False) as session:
            query = (
                select(Delivery)
                .where(Delivery.status == "pending", col(Delivery.next_at) <= wall)
                .order_by(col(Delivery.id))
                .limit(limit)
            )
            due = session.exec(query).all()
            session.rollback()  # end the read: SQLite cannot upgrade a stale read to a write
            claimed = []
            for delivery in due:
                claim = (
                    update(Delivery)
                    .where(
                        col(Delivery.id) == delivery.id,
                        col(Delivery.status) == "pending",
                        col(Delivery.next_at) <= wall,
                    )
                    .values(next_at=lease_until)
                    .execution_options(synchronize_session=False)  # SQLite reads naive times
                )
                if session.exec(claim).rowcount == 1:
                    claimed.append(delivery)
            session.commit()
            return claimed

    def settle(self, sent: Sent, wall: datetime, now: datetime) -> AlertDelivered | None:
        """Records one attempt; returns the event to publish once the delivery is final."""
        with Session(self.engine) as session:
            delivery = session.get(Delivery, sent.delivery_id)
            if delivery is None or delivery.status != "pending":
                return None
            delivery.attempts += 1
            delivery.detail = sent.detail[:200]
            final = sent.final or delivery.attempts >= self.settings.delivery_attempts
            if sent.delivered:
                delivery.status = "delivered"
            elif final:
                delivery.status = "failed"
                delivery.detail = f"gave up: {sent.detail}"[:200]
            else:
                backoff = self.settings.first_backoff_seconds * 2 ** (delivery.attempts - 1)
                delivery.next_at = wall + timedelta(seconds=backoff)
            session.add(delivery)
            alert = session.get(Alert, delivery.alert_id)
            if delivery.status != "pending" and alert is not None:
                self._log(
                    session,
                    alert,
                    delivery.status,
                    delivery.level,
                    transport=delivery.transport,
                    recipient=delivery.recipient,
                    detail=delivery.detail,
                    at=now,
                )
            session.commit()
            if delivery.status == "pending" or alert is None:
                return None
            return AlertDelivered(
                event_id=derived_id(alert.alert_id, delivery.key),
                occurred_at=now,
                region=Region(alert.region),
                alert_id=alert.alert_id,
                cause_event_id=alert.alert_id,
                kind=_ALERT_KIND.get(alert.kind, "breach"),
                transport="email" if delivery.transport == "email" else "webhook",
                recipient=delivery.recipient,
                level=delivery.level,
                delivered=delivery.status == "delivered",
                attempts=max(1, delivery.attempts),
                detail=delivery.detail,
            )

    def _log(
        self,
        session: Session,
        alert: Alert,
        action: str,
        level: int,
        *,
        at: datetime,
        transport: str = "",
        recipient: str = "",
        detail: str = "",
    ) -> None:
        session.add(
            AlertLog(
                alert_id=alert.alert_id,
                region=alert.region,
                kind=alert.kind,
                action=action,
                level=level,
                transport=transport,
                recipient=recipient,
                detail=detail,
                at=at,
            )
        )

    # --- reading --------------------------------------------------------------------------
    def recent(self, limit: int) -> list[Alert]:
        with Session(self.engine) as session:
            rows = list(
                session.exec(select(Alert).order_by(col(Alert.created_at).desc()).limit(limit))
            )
        for row in rows:  # SQLite hands times back without their zone
            row.created_at = utc(row.created_at)
            row.escalate_at = utc(row.escalate_at) if row.escalate_at else None
            row.acknowledged_at = utc(row.acknowledged_at) if row.acknowledged_at else None
        return rows

    def log(self, limit: int) -> list[AlertLog]:
        with Session(self.engine) as session:
            rows = list(
                session.exec(select(AlertLog).order_by(col(AlertLog.id).desc()).limit(limit))
            )
        for row in rows:
            row.at = utc(row.at)
        return rows


_ALERT_KIND: dict[str, AlertKind] = {
    "breach": "breach",
    "update": "breach_update",
    "predicted": "predicted_breach",
    "recovery": "recovery",
    "reinforcement": "reinforcement",
}
