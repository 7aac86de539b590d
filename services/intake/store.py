"""Intake's own table: which idempotency key holds which content, and whether it is published.

The key is claimed before the event is published, so of two requests racing with one key and
different content only one is accepted; a claim whose publication failed (an error, a crash)
is published by the client's retry."""

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel


class AcceptedContact(SQLModel, table=True):
    __tablename__ = "intake_accepted_contact"

    # The contact id, which derives from the adapter, its source and its idempotency key (this
    # held "source:key" before the identity release; such rows only expire).
    key: str = Field(primary_key=True, max_length=200)
    contact_id: uuid.UUID
    fingerprint: str = Field(max_length=64)
    accepted_at: datetime
    published: bool = False  # ContactReceived is durably in Kafka


ACCEPTED = AcceptedContact.__table__  # type: ignore[attr-defined]


class AcceptedContacts:
    def __init__(self, engine: Engine):
        self.engine = engine

    def claim(self, row: AcceptedContact) -> AcceptedContact:
        """Records the key for this content; if the key is already held, what it holds."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(row)
            try:
                session.commit()
                return row
            except IntegrityError:
                session.rollback()
        with Session(self.engine) as session:
            held = session.get(AcceptedContact, row.key)
        if held is None:  # claimed keys are never deleted
            raise RuntimeError("an idempotency key vanished after its claim")
        return held

    def mark_published(self, key: str) -> None:
        with Session(self.engine) as session:
            session.connection().execute(
                update(ACCEPTED).where(ACCEPTED.c.key == key).values(published=True)
            )
            session.commit()
