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
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

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


def snapshot_of(row: ContactStatusRow) -> Snapshot:
    snapshot = Snapshot(**{name: getattr(row, name) for name in _SNAPSHOT_FIELDS})
    return snapshot if row.opens_at is None else replace(snapshot, opens_at=aware(row.opens_at))


def view_of(row: ContactStatusRow, links: dict[str, EServiceLink]) -> ContactStatus:
    return render(
        Row(
            row.contact_id,
            row.region,
            row.channel,
            row.sequence,
            aware(row.changed_at),
            snapshot_of(row),
        ),
        links,
    )


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
        return self._atomically(lambda session: self.announce_all_in(session, [contact_id]))

    def announce_all_in(self, session: Session, contact_ids: Sequence[uuid.UUID]) -> bool:
        """`announce` for a batch, in the caller's transaction (the one marking the contacts
        published): their rows locked in one query, each adapter's callback looked up once;
        True if any was planned."""
        registered: dict[str, bool] = {}
        with session.no_autoflush:  # one flush at the end, not one per lookup
            planned = [
                self._plan(session, row, registered)
                for row in self._locked(session, contact_ids).values()
                if row.sequence == 1
            ]
        return any(planned)

    def apply(self, event: Event, now: datetime) -> bool:
        """Applies one event to its contact's status; True if a callback was planned."""
        return self._atomically(lambda session: self._apply_in(session, [event], now))

    def apply_all(self, events: Sequence[Event], now: datetime) -> bool:
        """`apply` for a consumer's batch, in one transaction; True if any planned a callback.
        Should another replica apply one of them meanwhile, the transaction fails whole (an
        IntegrityError), and its retry finds that event applied."""
        with Session(self.engine) as session:
            planned = self._apply_in(session, events, now)
            session.commit()
        return planned

    def _apply_in(self, session: Session, events: Sequence[Event], now: datetime) -> bool:
        moves = [
            (contact_id, progress, event)
            for event in events
            if (progress := progress_of(event)) is not None
            and (contact_id := getattr(event, "contact_id", None)) is not None
        ]
        if not moves:  # a batch of presence changes and the like: nothing to read or lock
            return False
        ids = [event.event_id for _, _, event in moves]
        applied = set(
            session.exec(select(AppliedEvent.event_id).where(col(AppliedEvent.event_id).in_(ids)))
        )
        rows = self._locked(session, {move[0] for move in moves})
        registered: dict[str, bool] = {}
        planned = False
        marks: list[dict[str, object]] = []
        with session.no_autoflush:  # one flush at the commit, not one per query
            for contact_id, progress, event in moves:
                row = rows.get(contact_id)
                if row is None or event.event_id in applied:
                    continue  # not a contact this intake accepted, or a redelivery
                applied.add(event.event_id)
                marks.append({"event_id": event.event_id, "applied_at": now})
                planned |= self._move(session, row, progress, now, registered)
        if marks:  # one statement, without an ORM object per mark (nothing reads them back)
            session.connection().execute(insert(APPLIED), marks)
        return planned

    def _move(
        self,
        session: Session,
        row: ContactStatusRow,
        progress: Progress,
        now: datetime,
        registered: dict[str, bool],
    ) -> bool:
        moved = advance(snapshot_of(row), progress)
        if moved is None:
            return False
        for name in _SNAPSHOT_FIELDS:
            setattr(row, name, getattr(moved, name))
        row.sequence += 1
        row.changed_at = now
        session.add(row)
        return self._plan(session, row, registered)

    def get(self, contact_id: uuid.UUID, owner: str) -> ContactStatus | None:
        """The contact's status if `owner` posted it; None for any other contact, known or
        not (the caller cannot tell the two apart)."""
        with Session(self.engine) as session:
            row = session.get(ContactStatusRow, contact_id)
            if row is None or row.owner != owner:
                return None
            return view_of(row, self.links)

    def purge(self, older_than: datetime) -> int:
        """Removes statuses unchanged since `older_than`, applied-event marks and settled
        deliveries as old; how many statuses."""
        with Session(self.engine) as session:
            connection = session.connection()
            statuses = ContactStatusRow.__table__  # type: ignore[attr-defined]
            gone = connection.execute(delete(statuses).where(statuses.c.changed_at < older_than))
            connection.execute(delete(APPLIED).where(APPLIED.c.applied_at < older_than))
            sent = CallbackDelivery.__table__  # type: ignore[attr-defined]
            connection.execute(
                delete(sent).where(sent.c.status != "pending", sent.c.settled_at < older_than)
            )
            session.commit()
        return int(gone.rowcount)

    def _locked(
        self, session: Session, contact_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, ContactStatusRow]:
        """The contacts' status rows, locked in one query in contact order: the follower's
        batches and the marks of published contacts (store.py) both lock this way, so two such
        transactions never wait on each other in a cycle."""
        contact = col(ContactStatusRow.contact_id)
        query = select(ContactStatusRow).where(contact.in_(contact_ids)).order_by(contact)
        return {row.contact_id: row for row in session.exec(query.with_for_update())}

    def _plan(self, session: Session, row: ContactStatusRow, registered: dict[str, bool]) -> bool:
        """The row's current status, to its adapter's callback if it registered one (looked up
        once per owner in `registered`, a batch's)."""
        if row.owner not in registered:
            registered[row.owner] = session.get(AdapterCallback, row.owner) is not None
        if not registered[row.owner]:
            return False
        body = view_of(row, self.links).model_dump_json()
        session.add(
            CallbackDelivery(
                key=idempotency_key(row.contact_id, row.sequence),
                owner=row.owner,
                contact_id=row.contact_id,
                body=body,
                # Wall time: the sender's schedule, whatever the platform's clock says.
                next_at=datetime.now(UTC),
                created_at=datetime.now(UTC),
            )
        )
        return True

    def _atomically(self, work: Callable[[Session], bool]) -> bool:
        """`work` in one transaction, committed; False when it met an event applied already
        or a change planned already (a redelivery, or a racing replica): nothing of it is
        kept twice."""
        with Session(self.engine) as session:
            try:
                done = work(session)
                session.commit()
                return done
            except IntegrityError:
                session.rollback()
                return False
