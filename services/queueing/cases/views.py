"""What the cases' routes take and answer."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.cases import CloseReason
from services.queueing.cases.domain import Case, Entry
from services.queueing.cases.tables import CaseEntryRow
from services.queueing.tables import utc

NOTE_MAX = 2000
INFORMATION_MAX = 4000


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=NOTE_MAX)
    visible_to_citizen: bool = Field(default=False, description="the citizen sees it")


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CloseReason


class InformationRequest(BaseModel):
    """The citizen's information (kept only as long as the contact it becomes)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=INFORMATION_MAX)


class CaseSecret(BaseModel):
    case_id: uuid.UUID
    case_number: str
    secret: str = Field(description="tell the citizen: with the case number it opens /case")


class CitizenEntry(BaseModel):
    at: datetime
    kind: str = Field(description="created, note, information or closed")
    by: str = Field(description="operator, citizen or e_service")
    text: str | None = Field(default=None, description="a note the operator let the citizen see")
    reason: str | None = None

    @classmethod
    def of(cls, entry: Entry) -> "CitizenEntry":
        return cls(
            at=entry.at,
            kind=entry.kind,
            by=entry.by,
            text=entry.text if entry.kind == "note" else None,
            reason=entry.reason,
        )


class CitizenCase(BaseModel):
    """What the citizen sees of their case: no one's name, no ids but its number."""

    case_number: str
    status: str
    region: str
    matter: str
    created_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    history: list[CitizenEntry]

    @classmethod
    def of(cls, case: Case) -> "CitizenCase":
        return cls(
            case_number=case.case_number,
            status=case.status.value,
            region=case.region.value,
            matter=case.matter.value,
            created_at=case.created_at,
            closed_at=case.closed_at,
            close_reason=case.close_reason,
            history=[CitizenEntry.of(entry) for entry in case.for_citizen()],
        )


class StaffEntry(BaseModel):
    at: datetime
    kind: str
    by: str
    actor: str = Field(description="the operator's user name (empty for the citizen)")
    visible_to_citizen: bool
    text: str | None = Field(description="a note's text, or the citizen's words while kept")
    reason: str | None
    contact_id: uuid.UUID | None = Field(description="the contact the information became")


class StaffCase(BaseModel):
    case_id: uuid.UUID
    case_number: str
    status: str
    region: str
    matter: str
    contact_id: uuid.UUID
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    history: list[StaffEntry]

    @classmethod
    def of(cls, case: Case, rows: list[CaseEntryRow], words: dict[uuid.UUID, str]) -> "StaffCase":
        history = [
            StaffEntry(
                at=utc(row.at),
                kind=row.kind,
                by=row.by,
                actor=row.actor,
                visible_to_citizen=row.visible_to_citizen,
                text=words.get(row.contact_id) if row.contact_id else row.text,
                reason=row.reason,
                contact_id=row.contact_id,
            )
            for row in rows
        ]
        return cls(
            case_id=case.case_id,
            case_number=case.case_number,
            status=case.status.value,
            region=case.region.value,
            matter=case.matter.value,
            contact_id=case.contact_id,
            created_by=case.created_by,
            created_at=case.created_at,
            closed_at=case.closed_at,
            close_reason=case.close_reason,
            history=history,
        )
