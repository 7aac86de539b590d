"""Intake's own table: which idempotency keys it accepted."""

import uuid
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel


class AcceptedContact(SQLModel, table=True):
    __tablename__ = "intake_accepted_contact"

    key: str = Field(primary_key=True, max_length=200)  # source + idempotency key
    contact_id: uuid.UUID
    fingerprint: str = Field(max_length=64)
    accepted_at: datetime


class AcceptedContacts:
    def __init__(self, engine: Engine):
        self.engine = engine

    def find(self, key: str) -> AcceptedContact | None:
        with Session(self.engine) as session:
            return session.get(AcceptedContact, key)

    def record(self, row: AcceptedContact) -> None:
        with Session(self.engine) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()  # a concurrent retry recorded the same key: same ids
