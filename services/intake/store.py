"""Intake's own table: which idempotency key holds which content, and whether it is published.

The key is claimed before the event is published, so of two requests racing with one key and
different content only one is accepted; a claim whose publication failed (an error, a crash)
is published by the client's retry. Keys are kept `PKC_INTAKE_KEY_RETENTION_DAYS` (past any
retry of an adapter's), then purged; an erased contact's key stays, with its fingerprint (a
hash of the citizen's words) gone, so a late retry is refused instead of publishing again."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from services.shared.db import NewRow, insert_absent


class AcceptedContact(SQLModel, table=True):
    __tablename__ = "intake_accepted_contact"

    # The contact id, which derives from the adapter, its source and its idempotency key (this
    # held "source:key" before the identity release; such rows only expire).
    key: str = Field(primary_key=True, max_length=200)
    contact_id: uuid.UUID
    fingerprint: str = Field(max_length=64)
    accepted_at: datetime
    published: bool = False  # ContactReceived is durably in Kafka


class Erasure(SQLModel, table=True):
    """Which auditor erased which contact, when: the evidence an erasure happened. A new table
    of the never-lose release (created on start)."""

    __tablename__ = "intake_erasure"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: uuid.UUID = Field(index=True)
    erased_at: datetime
    erased_by: str = Field(max_length=64)  # the auditor's user name
    erased_by_subject: str = Field(max_length=255)  # their token's subject
    keys: int = 0  # idempotency keys whose fingerprint was removed


# Writes made in the transaction that marks claims published, given their contacts (in key
# order); whether they planned anything.
Alongside = Callable[[Connection, Sequence[uuid.UUID]], bool]
# A claim to mark published: its key and its contact.
Mark = tuple[str, uuid.UUID]

ACCEPTED = AcceptedContact.__table__  # type: ignore[attr-defined]
ERASURES = Erasure.__table__  # type: ignore[attr-defined]
ERASED_FINGERPRINT = "erased"  # matches no submission's: a retry of the key is refused (409)
# A batch claim that meets a key claimed meanwhile (a racing replica) reads the keys again.
CLAIM_ROUNDS = 5
# The hot path's statements, built once (building and keying one costs more than its rows).
_HELD = select(
    ACCEPTED.c.key,
    ACCEPTED.c.contact_id,
    ACCEPTED.c.fingerprint,
    ACCEPTED.c.accepted_at,
    ACCEPTED.c.published,
).where(ACCEPTED.c.key.in_(bindparam("keys", expanding=True)))
_FINGERPRINT = select(ACCEPTED.c.fingerprint).where(ACCEPTED.c.key == bindparam("key"))
_CLAIM = insert(ACCEPTED)
_MARK = (
    update(ACCEPTED)
    .where(ACCEPTED.c.key.in_(bindparam("keys", expanding=True)))
    .values(published=True)
)


@dataclass(frozen=True)
class HeldKey:
    """An idempotency key's row, as a claim brings it and as the table holds it: the contact,
    the fingerprint of its content, when it was accepted, whether it is in Kafka. A plain
    value: the claim is intake's hottest write, and an ORM row costs more to build than to
    insert."""

    key: str
    contact_id: uuid.UUID
    fingerprint: str
    accepted_at: datetime
    published: bool = False


@dataclass(frozen=True)
class Claim:
    """One key of a batch to claim (submissions.py), with the rows a new contact opens.
    `may_open` False (its received_at is outside the window): a key held already for this
    content is found, but no new one is claimed."""

    row: HeldKey
    alongside: Sequence[NewRow] = ()
    may_open: bool = True


class AcceptedContacts:
    def __init__(self, engine: Engine):
        self.engine = engine

    def claim(self, row: HeldKey, alongside: Sequence[NewRow] = ()) -> HeldKey:
        """Records the key for this content, with the rows `alongside` that a new contact
        opens (its status, its origin) in the same transaction: one commit per contact instead
        of one per row. If the key is already held, what it holds; for a retry of the same
        content not yet published, the rows alongside are made sure of (each kept if there)."""
        (held,) = self.claim_each([(row, alongside)])
        return held

    def claim_each(self, rows: Sequence[tuple[HeldKey, Sequence[NewRow]]]) -> list[HeldKey]:
        """`claim` for several contacts in one transaction (intake groups concurrent posts'
        claims: services/shared/group_commit.py)."""
        found = self.claim_all([Claim(row, alongside) for row, alongside in rows])
        return [_opened(held) for held in found]

    def claim_all(self, claims: Sequence[Claim]) -> list[HeldKey | None]:
        """`claim` for a batch, in one transaction: for each claim, what its key holds (the
        claim's own row if it was free; None if free and not `may_open`). A key twice in the
        batch is claimed by the first; the second finds what the first holds."""
        for _ in range(CLAIM_ROUNDS):
            try:
                return self._claim_all(claims)
            except IntegrityError:
                continue  # claimed by another since it was read: read again
        raise RuntimeError(f"the batch's keys kept being claimed meanwhile ({CLAIM_ROUNDS}x)")

    def _claim_all(self, claims: Sequence[Claim]) -> list[HeldKey | None]:
        keys = [claim.row.key for claim in claims]
        with self.engine.begin() as connection:
            found_rows = connection.execute(_HELD, {"keys": keys})
            held = {row.key: HeldKey(**row._mapping) for row in found_rows}
            found: list[HeldKey | None] = []
            new: list[HeldKey] = []
            alongside: list[NewRow] = []
            opened: set[str] = set()
            for claim in claims:
                key, row = claim.row.key, held.get(claim.row.key)
                if row is None and claim.may_open:
                    new.append(claim.row)
                    row = held[key] = claim.row
                # A new key opens its rows; a retry of a claim never published makes sure of
                # them (claimed by code that opened them apart); once per key.
                fresh = row is not None and not row.published and key not in opened
                if fresh and row is not None and row.fingerprint == claim.row.fingerprint:
                    opened.add(key)
                    alongside.extend(claim.alongside)
                found.append(row)
            if new:
                # The keys first, plainly: of two racing claims, the second stops here.
                connection.execute(_CLAIM, [vars(row) for row in sorted(new, key=_key)])
            insert_absent(connection, alongside)
        return found

    def holds(self, key: str, fingerprint: str) -> bool:
        """Whether `key` is already claimed for this very content (a retry of it)."""
        with self.engine.connect() as connection:
            held = connection.execute(_FINGERPRINT, {"key": key}).scalar_one_or_none()
        return held == fingerprint

    def mark_published(self, mark: Mark, alongside: Alongside | None = None) -> bool:
        """Marks the claim published, with `alongside`'s writes in the same commit (intake
        announces the contact's `received` status there: one commit instead of two); what
        `alongside` returned."""
        return self.mark_all_published([mark], alongside)

    def mark_all_published(self, marks: Sequence[Mark], alongside: Alongside | None = None) -> bool:
        """`mark_published` for a batch, in one transaction: the claims marked, then
        `alongside` for all their contacts at once, in key order (a key is its contact id: the
        status follower locks a batch's statuses in the same order, status_store.py, so neither
        waits on the other in a cycle); what it returned. Its writes go in one savepoint;
        should they meet a row written already (a racing replica), each contact's go in a
        savepoint of their own (only its part undone)."""
        ordered = sorted(set(marks))
        with self.engine.begin() as connection:
            connection.execute(_MARK, {"keys": [key for key, _ in ordered]})
            contacts = [contact for _, contact in ordered]
            return alongside is not None and _alongside(connection, alongside, contacts)

    def purge(self, older_than: datetime) -> int:
        """Deletes keys accepted before `older_than`; how many."""
        with self.engine.begin() as connection:
            statement = delete(ACCEPTED).where(ACCEPTED.c.accepted_at < older_than)
            return int(connection.execute(statement).rowcount)

    def erase(self, contact_id: uuid.UUID, by_name: str, by_subject: str, now: datetime) -> int:
        """Removes the fingerprint of the contact's keys and records who erased it; how many
        keys."""
        with self.engine.begin() as connection:
            statement = (
                update(ACCEPTED)
                .where(ACCEPTED.c.contact_id == contact_id)
                .values(fingerprint=ERASED_FINGERPRINT)
            )
            keys = int(connection.execute(statement).rowcount)
            erasure = {
                "contact_id": contact_id,
                "erased_at": now,
                "erased_by": by_name[:64],
                "erased_by_subject": by_subject[:255],
                "keys": keys,
            }
            connection.execute(insert(ERASURES), erasure)
        return keys


def _key(row: HeldKey) -> str:
    return row.key


def _opened(held: HeldKey | None) -> HeldKey:
    if held is None:  # only a claim that may not open a key finds none
        raise RuntimeError("a claim that may open its key found none")
    return held


def _alongside(connection: Connection, alongside: Alongside, contacts: list[uuid.UUID]) -> bool:
    try:
        with connection.begin_nested():
            return alongside(connection, contacts)
    except IntegrityError:
        return any([_in_savepoint(connection, alongside, contact) for contact in contacts])


def _in_savepoint(connection: Connection, alongside: Alongside, contact: uuid.UUID) -> bool:
    try:
        with connection.begin_nested():
            return alongside(connection, [contact])
    except IntegrityError:
        return False
