"""Notify's storage of alerts and their log: the only module (with the outbox and the schedule
store) that speaks SQL. A transaction holds the alert repository and the delivery outbox, so an
alert, its deliveries and its log rows are written together or not at all."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col, select, update
from sqlmodel.sql.expression import SelectOfScalar

from schemas import Region
from schemas.enums import AlertKind
from schemas.envelope import Event
from services.notify.policy import Episode
from services.notify.tables import Alert, AlertLog, Delivery, EventRecord
from services.shared.ids import derived_id
from services.shared.tracing import current_traceparent

# Alert kinds as stored (the column predates the event's names), and two of storage's own:
# a breach held through the quiet period after a recovery, and one that recovered while held.
STORED_KIND: dict[AlertKind, str] = {
    "breach": "breach",
    "breach_update": "update",
    "predicted_breach": "predicted",
    "recovery": "recovery",
    "reinforcement": "reinforcement",
    "written_emergency": "written",
}
ALERT_KIND: dict[str, AlertKind] = {stored: kind for kind, stored in STORED_KIND.items()}
HELD, SUPPRESSED = "held", "suppressed"
Row = TypeVar("Row", bound=SQLModel)


def utc(value: datetime) -> datetime:
    """SQLite hands times back without their zone."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def new_alert(
    region: Region, alert_id: uuid.UUID, episode_id: uuid.UUID | None, kind: str, now: datetime
) -> Alert:
    return Alert(
        alert_id=alert_id, region=region.value, episode_id=episode_id, kind=kind, created_at=now
    )


def episode_of(alert: Alert) -> Episode:
    return Episode(alert.alert_id, alert.episode_id, alert.level, alert.share, alert.kind == HELD)


class AlertRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, alert_id: uuid.UUID) -> Alert | None:
        return self.session.get(Alert, alert_id)

    def save(self, alert: Alert) -> None:
        self.session.add(alert)

    def change(self, alert: Alert, **values: object) -> bool:
        """Writes `values` only if the alert is still as this transaction loaded it (kind, level,
        escalating, acknowledged); else False and nothing written. Of two replicas acting on one
        alert (one releasing or escalating it, the other closing or acknowledging it), the
        second finds it changed: a recovered alert is never revived, nor an escalation lost."""
        loaded = (
            col(Alert.alert_id) == alert.alert_id,
            col(Alert.kind) == alert.kind,
            col(Alert.level) == alert.level,
            _is_set(col(Alert.escalate_at), alert.escalate_at is not None),
            _is_set(col(Alert.acknowledged_at), alert.acknowledged_at is not None),
        )
        # Not synchronised by evaluation: SQLite reads naive times (cf. the outbox's claim).
        write = update(Alert).where(*loaded).values(**values)
        if self.session.exec(write.execution_options(synchronize_session=False)).rowcount != 1:
            return False
        for name, value in values.items():
            set_committed_value(alert, name, value)  # as written: nothing left to flush
        return True

    def open_episode(self, region: Region) -> Alert | None:
        """The region's latest breach alert (sent or held) unless its episode is over."""
        query = (
            select(Alert)
            .where(Alert.region == region.value, col(Alert.kind).in_(("breach", HELD, SUPPRESSED)))
            .order_by(col(Alert.created_at).desc())
            .limit(1)
        )
        latest = self.session.exec(query).first()
        if latest is None or latest.episode_id is None or latest.kind == SUPPRESSED:
            return None
        recovered = self.get(derived_id(latest.episode_id, "recovery"))
        return latest if recovered is None else None

    def last_recovery(self, region: Region) -> datetime | None:
        query = (
            select(Alert.created_at)
            .where(Alert.region == region.value, Alert.kind == "recovery")
            .order_by(col(Alert.created_at).desc())
            .limit(1)
        )
        found = self.session.exec(query).first()
        return utc(found) if found is not None else None

    def due(self, now: datetime) -> list[Alert]:
        """Unacknowledged alerts whose escalation (or release) time has come."""
        query = select(Alert).where(
            col(Alert.escalate_at).is_not(None),
            col(Alert.acknowledged_at).is_(None),
            col(Alert.escalate_at) <= now,
        )
        return list(self.session.exec(query).all())

    def logged(self, alert_id: uuid.UUID, action: str) -> bool:
        """Whether the alert log has a row of `action` for the alert."""
        query = select(AlertLog.id).where(AlertLog.alert_id == alert_id, AlertLog.action == action)
        return self.session.exec(query.limit(1)).first() is not None

    def log(self, alert: Alert, action: str, level: int, *, at: datetime, **details: str) -> None:
        """A row of the alert log; `details`: transport, recipient, detail."""
        about = {"alert_id": alert.alert_id, "region": alert.region, "kind": alert.kind}
        entry = about | {"action": action, "level": level, "at": at} | details
        self.session.add(AlertLog.model_validate(entry))


def _is_set(column: Any, is_set: bool) -> Any:
    return column.is_not(None) if is_set else column.is_(None)


class Transaction:
    def __init__(self, session: Session, on_commit: Callable[[], None] = lambda: None):
        self.session = session
        self.alerts = AlertRepository(session)
        self.on_commit = on_commit  # wakes the event relay
        self.emitted = False

    def emit(self, event: Event) -> None:
        """The event goes to the outbox in this transaction: published after the commit, by
        the relay, or never if the transaction is not kept."""
        record = EventRecord(event_json=event.model_dump_json(), traceparent=current_traceparent())
        self.session.add(record)
        self.emitted = True

    def add_delivery(self, delivery: Delivery) -> None:
        self.session.add(delivery)

    def delivery(self, delivery_id: int) -> Delivery | None:
        return self.session.get(Delivery, delivery_id)

    def commit(self) -> bool:
        """False when a row with the same id was written first (a replay, or another replica):
        then nothing of this transaction is kept."""
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            return False
        if self.emitted:
            self.on_commit()
        return True


def claim_each(
    session: Session, seen: SelectOfScalar[Row], id_column: Any, *free: Any, **lease: object
) -> list[Row]:
    """The rows `seen` finds, each claimed (`lease` written) only if still `free`: of two
    replicas that saw the same row, one moves its lease and the other finds it taken."""
    rows = session.exec(seen).all()
    session.rollback()  # end the read: SQLite cannot upgrade a stale read to a write
    claimed = []
    for row in rows:
        claim = (
            update(id_column.class_)
            .where(id_column == getattr(row, id_column.key), *free)
            .values(**lease)
            .execution_options(synchronize_session=False)  # SQLite reads naive times
        )
        if session.exec(claim).rowcount == 1:
            claimed.append(row)
    session.commit()
    return claimed


class NotifyStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.on_commit: Callable[[], None] = lambda: None  # the relay's wake-up, once built

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield Transaction(session, self.on_commit)

    def recent(self, limit: int) -> list[Alert]:
        rows = self._newest(select(Alert).order_by(col(Alert.created_at).desc()), limit)
        for row in rows:
            row.created_at = utc(row.created_at)
            row.escalate_at = utc(row.escalate_at) if row.escalate_at else None
            row.acknowledged_at = utc(row.acknowledged_at) if row.acknowledged_at else None
        return rows

    def alert(self, alert_id: uuid.UUID) -> Alert | None:
        """One alert as stored (for an acknowledgement's page and region check)."""
        with Session(self.engine) as session:
            return session.get(Alert, alert_id)

    def log(
        self,
        limit: int,
        person: str | None = None,
        region: Region | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AlertLog]:
        """The newest log rows first, narrowed by who acknowledged (user name or subject),
        region and time."""
        query = select(AlertLog)
        if person is not None:
            query = query.where((AlertLog.person == person) | (AlertLog.subject == person))
        if region is not None:
            query = query.where(AlertLog.region == region.value)
        if since is not None:
            query = query.where(col(AlertLog.at) >= since)
        if until is not None:
            query = query.where(col(AlertLog.at) < until)
        rows = self._newest(query.order_by(col(AlertLog.id).desc()), limit)
        for row in rows:
            row.at = utc(row.at)
        return rows

    def _newest(self, query: SelectOfScalar[Row], limit: int) -> list[Row]:
        with Session(self.engine) as session:
            return list(session.exec(query.limit(limit)))
