"""The contacts' statuses in intake's database: opened when a contact is claimed, moved by the
events intake follows, read by their adapter; and every change's callback written to the
outbox in the same transaction as the change (so none is lost and none is sent for a change
that was rolled back).

The status row is opened before the contact is published, so an event about it (triage may
answer within milliseconds) always finds it; the `received` change is announced once Kafka has
the contact. An event about a contact without a row (published by another tool, or purged) is
not intake's to follow and is let go."""

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from schemas.contact_status import ContactStatus, EServiceLink
from schemas.envelope import Event
from services.intake.signing import idempotency_key
from services.intake.status import Progress, Snapshot, advance, progress_of
from services.intake.status_tables import (
    AdapterCallback,
    AppliedEvent,
    CallbackDelivery,
    ContactStatusRow,
    aware,
)
from services.intake.status_view import Row, render
from services.shared.db import NewRow, insert_absent

_SNAPSHOT_FIELDS = (
    "stage",
    "category",
    "matter",
    "route",
    "e_service",
    "case_number",
    "reason",
    "opens_at",
)
APPLIED = AppliedEvent.__table__  # type: ignore[attr-defined]
STATUSES = ContactStatusRow.__table__  # type: ignore[attr-defined]
CALLBACKS = AdapterCallback.__table__  # type: ignore[attr-defined]
DELIVERIES = CallbackDelivery.__table__  # type: ignore[attr-defined]
# The hot path's statements, built once (building and keying one costs more than its rows).
# A batch's moved statuses in one statement (executemany): SET takes the values' other keys.
_MOVE = update(STATUSES).where(STATUSES.c.contact_id == bindparam("moved_id"))
_APPLIED_AMONG = select(APPLIED.c.event_id).where(
    APPLIED.c.event_id.in_(bindparam("ids", expanding=True))
)
# Locked in contact order: the follower's batches and the marks of published contacts
# (store.py) both lock this way, so two such transactions never wait on each other in a cycle.
_LOCK = (
    select(STATUSES)
    .where(STATUSES.c.contact_id.in_(bindparam("ids", expanding=True)))
    .order_by(STATUSES.c.contact_id)
    .with_for_update()
)
_REGISTERED = select(CALLBACKS.c.owner).where(
    CALLBACKS.c.owner.in_(bindparam("owners", expanding=True))
)
_APPLY, _DELIVER = insert(APPLIED), insert(DELIVERIES)


@dataclass(frozen=True)
class Status:
    """A contact's status as read from its row (Core, no ORM object: the follower reads a
    batch's on intake's busiest path): whose it is, and what its adapter is shown."""

    owner: str
    row: Row


def status_of(found: Any) -> Status:
    """The status in a row of the statuses table (SQLite gives back naive times: UTC)."""
    snapshot = Snapshot(**{name: getattr(found, name) for name in _SNAPSHOT_FIELDS})
    if snapshot.opens_at is not None:
        snapshot = replace(snapshot, opens_at=aware(snapshot.opens_at))
    row = Row(
        found.contact_id,
        found.region,
        found.channel,
        found.sequence,
        aware(found.changed_at),
        snapshot,
    )
    return Status(found.owner, row)


def moved(status: Status, progress: Progress, now: datetime) -> Status | None:
    """The status after `progress`, one change later; None if it changes nothing."""
    snapshot = advance(status.row.snapshot, progress)
    if snapshot is None:
        return None
    row = replace(status.row, snapshot=snapshot, sequence=status.row.sequence + 1, changed_at=now)
    return Status(status.owner, row)


class StatusStore:
    def __init__(self, engine: Engine, links: dict[str, EServiceLink]):
        self.engine = engine
        self.links = links

    @staticmethod
    def opening(
        contact_id: uuid.UUID, owner: str, region: str, channel: str, now: datetime
    ) -> NewRow:
        """The row of a contact's status as it opens, `received`, owned by `owner`: what the
        acceptance writes with its claim (store.py), or `open` on its own."""
        return NewRow(
            STATUSES,
            {
                "contact_id": contact_id,
                "owner": owner,
                "region": region,
                "channel": channel,
                "stage": "received",
                "sequence": 1,
                "opened_at": now,
                "changed_at": now,
            },
        )

    def open(
        self, contact_id: uuid.UUID, owner: str, region: str, channel: str, now: datetime
    ) -> None:
        """Opens the contact's status (kept if already open: a retry of the same contact)."""
        with self.engine.begin() as connection:
            insert_absent(connection, [self.opening(contact_id, owner, region, channel, now)])

    def announce(self, contact_id: uuid.UUID) -> bool:
        """Plans the `received` callback, once the contact is durably in Kafka, unless the
        status has moved on meanwhile (its own change is planned then); True if planned."""
        return self._atomically(lambda connection: self.announce_all_in(connection, [contact_id]))

    def announce_all_in(self, connection: Connection, contact_ids: Sequence[uuid.UUID]) -> bool:
        """`announce` for a batch, in the caller's transaction (the one marking the contacts
        published): their rows locked in one query, the adapters' callbacks looked up in one;
        True if any was planned."""
        received = [s for s in _locked(connection, contact_ids).values() if s.row.sequence == 1]
        return self._plan(connection, received)

    def apply(self, event: Event, now: datetime) -> bool:
        """Applies one event to its contact's status; True if a callback was planned."""
        return self._atomically(lambda connection: self._apply_in(connection, [event], now))

    def apply_all(self, events: Sequence[Event], now: datetime) -> bool:
        """`apply` for a consumer's batch, in one transaction; True if any planned a callback.
        Should another replica apply one of them meanwhile, the transaction fails whole (an
        IntegrityError), and its retry finds that event applied."""
        with self.engine.begin() as connection:
            return self._apply_in(connection, events, now)

    def _apply_in(self, connection: Connection, events: Sequence[Event], now: datetime) -> bool:
        moves = [
            (contact_id, progress, event)
            for event in events
            if (progress := progress_of(event)) is not None
            and (contact_id := getattr(event, "contact_id", None)) is not None
        ]
        if not moves:  # a batch of presence changes and the like: nothing to read or lock
            return False
        ids = [event.event_id for _, _, event in moves]
        applied = set(connection.execute(_APPLIED_AMONG, {"ids": ids}).scalars().all())
        statuses = _locked(connection, {move[0] for move in moves})
        changes: list[Status] = []  # each planned to its adapter, in order
        marks: list[dict[str, object]] = []
        for contact_id, progress, event in moves:
            status = statuses.get(contact_id)
            if status is None or event.event_id in applied:
                continue  # not a contact this intake accepted, or a redelivery
            applied.add(event.event_id)
            marks.append({"event_id": event.event_id, "applied_at": now})
            after = moved(status, progress, now)
            if after is not None:
                statuses[contact_id] = after
                changes.append(after)
        if marks:
            connection.execute(_APPLY, marks)
        latest = {change.row.contact_id: change for change in changes}
        if latest:
            connection.execute(_MOVE, [_values(latest[c]) for c in sorted(latest)])
        return self._plan(connection, changes)

    def get(self, contact_id: uuid.UUID, owner: str) -> ContactStatus | None:
        """The contact's status if `owner` posted it; None for any other contact, known or
        not (the caller cannot tell the two apart)."""
        with self.engine.connect() as connection:
            query = select(STATUSES).where(STATUSES.c.contact_id == contact_id)
            found = connection.execute(query).first()
        if found is None or found.owner != owner:
            return None
        return render(status_of(found).row, self.links)

    def purge(self, older_than: datetime) -> int:
        """Removes statuses unchanged since `older_than`, applied-event marks and settled
        deliveries as old; how many statuses."""
        with self.engine.begin() as connection:
            gone = connection.execute(delete(STATUSES).where(STATUSES.c.changed_at < older_than))
            purged = int(gone.rowcount)
            connection.execute(delete(APPLIED).where(APPLIED.c.applied_at < older_than))
            connection.execute(
                delete(DELIVERIES).where(
                    DELIVERIES.c.status != "pending", DELIVERIES.c.settled_at < older_than
                )
            )
        return purged

    def _plan(self, connection: Connection, changes: Sequence[Status]) -> bool:
        """Each change to its adapter's callback if it registered one (the batch's owners
        looked up in one query); whether any was planned."""
        owners = {change.owner for change in changes}
        if not owners:
            return False
        found = connection.execute(_REGISTERED, {"owners": sorted(owners)})
        registered = set(found.scalars().all())
        now = datetime.now(UTC)  # wall time: the sender's schedule, whatever the platform's
        deliveries = [
            {
                "key": idempotency_key(change.row.contact_id, change.row.sequence),
                "owner": change.owner,
                "contact_id": change.row.contact_id,
                "body": render(change.row, self.links).model_dump_json(),
                "status": "pending",
                "attempts": 0,
                "next_at": now,
                "detail": "",
                "created_at": now,
            }
            for change in changes
            if change.owner in registered
        ]
        if deliveries:
            connection.execute(_DELIVER, deliveries)
        return bool(deliveries)

    def _atomically(self, work: Callable[[Connection], bool]) -> bool:
        """`work` in one transaction, committed; False when it met an event applied already
        or a change planned already (a redelivery, or a racing replica): nothing of it is
        kept twice."""
        try:
            with self.engine.begin() as connection:
                return work(connection)
        except IntegrityError:
            return False


def _locked(connection: Connection, contact_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Status]:
    """The contacts' statuses, their rows locked in one query (`_LOCK`'s order)."""
    found = connection.execute(_LOCK, {"ids": list(contact_ids)})
    return {row.contact_id: status_of(row) for row in found}


def _values(status: Status) -> dict[str, Any]:
    """A moved status's parameters for `_MOVE`."""
    row = status.row
    snapshot = {name: getattr(row.snapshot, name) for name in _SNAPSHOT_FIELDS}
    return snapshot | {
        "moved_id": row.contact_id,
        "sequence": row.sequence,
        "changed_at": row.changed_at,
    }
