"""The cases' tables in queueing's database (created beside queueing's own, services/queueing/
tables.py). Times are stored as UTC. How long each row is kept: docs/cases.md."""

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


class CaseRow(SQLModel, table=True):
    """A case and its status. Case numbers are not unique (seven digits of the case id), so
    the citizen's reference finds its case together with the secret."""

    __tablename__ = "queueing_case"

    case_id: uuid.UUID = Field(primary_key=True)
    case_number: str = Field(max_length=24, index=True)
    region: str = Field(max_length=20)
    matter: str = Field(max_length=40)
    contact_id: uuid.UUID
    created_by: str = Field(max_length=12)
    created_at: datetime = Field(sa_column=_ts())
    status: str = Field(default="open", max_length=8)
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    close_reason: str | None = Field(default=None, max_length=16)


class CaseEntryRow(SQLModel, table=True):
    """One line of a case's history, in order of `id`; `actor` names the operator for staff
    (empty for the citizen and services) and is never shown to the citizen."""

    __tablename__ = "queueing_case_entry"

    id: int | None = Field(default=None, primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    at: datetime = Field(sa_column=_ts())
    kind: str = Field(max_length=12)
    by: str = Field(max_length=12)
    actor: str = Field(default="", max_length=64)
    visible_to_citizen: bool = True
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str | None = Field(default=None, max_length=16)
    contact_id: uuid.UUID | None = None


class CaseInformationRow(SQLModel, table=True):
    """The citizen's own words, kept only as long as the contact they became: deleted by the
    case sweep once that contact's queue entry is gone (purged or erased)."""

    __tablename__ = "queueing_case_information"

    contact_id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    received_at: datetime = Field(sa_column=_ts())
    text: str = Field(sa_column=Column(Text, nullable=False))


class CaseRequestRow(SQLModel, table=True):
    """A note, closing or the citizen's information under an Idempotency-Key, with the response
    it got: a retry gets it again instead of a second event. No text: the fingerprint is a hash."""

    __tablename__ = "queueing_case_request"
    __table_args__ = (
        Index("ux_queueing_case_request", "requester", "request_key", unique=True),
        Index("ix_queueing_case_request_expires", "expires_at"),  # the sweep's delete
    )

    id: int | None = Field(default=None, primary_key=True)
    requester: str = Field(max_length=80)  # the operator's subject, or citizen:<case id>
    request_key: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64)
    response_json: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=_ts())


CASE_TABLES = (CaseRow, CaseEntryRow, CaseInformationRow, CaseRequestRow)
