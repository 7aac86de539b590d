"""A case as queueing keeps it, free of I/O: its status, its history, what each move publishes,
and what the citizen may see of it.

    open -> open      (an operator's note; the citizen's information)
    open -> closed    (an operator or supervisor closes it, with a reason)

A closed case takes nothing more: a note, information or a second closing is refused (a
retry of the same closing gets the first `CaseClosed` back, which the use case decides).
"""

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal

from schemas import CaseCreated, Channel, Classified, MatterType, NeedCategory, Region, Route
from schemas.cases import CaseClosed, CaseUpdated, CloseReason
from services.queueing.domain import IllegalMove

EntryKind = Literal["created", "note", "information", "closed"]
By = Literal["operator", "citizen", "e_service"]
# The citizen's information waits as a written e-service contact about their case.
INFORMATION_PRIORITY = 3
INFORMATION_RULE = "case-information"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Entry:
    """One line of a case's history. `text` is a note's (the citizen's words live with their
    contact, services/queueing/cases/tables.py); `reason` a closing's."""

    at: datetime
    kind: EntryKind
    by: By
    visible_to_citizen: bool = True
    text: str | None = None
    reason: str | None = None
    contact_id: uuid.UUID | None = None


@dataclass
class Case:
    case_id: uuid.UUID
    case_number: str
    region: Region
    matter: MatterType
    contact_id: uuid.UUID
    created_by: By
    created_at: datetime
    status: CaseStatus = CaseStatus.OPEN
    closed_at: datetime | None = None
    close_reason: str | None = None
    history: list[Entry] = field(default_factory=list)

    @classmethod
    def opened(cls, created: CaseCreated) -> "Case":
        case = cls(
            case_id=created.case_id,
            case_number=created.case_number,
            region=created.region,
            matter=created.matter,
            contact_id=created.contact_id,
            created_by=created.created_by,
            created_at=created.occurred_at,
        )
        case.history.append(Entry(created.occurred_at, "created", created.created_by))
        return case

    def note(self, operator_id: str, text: str, visible: bool, now: datetime) -> CaseUpdated:
        self._check_open()
        self.history.append(Entry(now, "note", "operator", visible, text=text))
        return CaseUpdated(
            occurred_at=now,
            **self._about(),
            kind="note",
            by="operator",
            operator_id=operator_id,
            visible_to_citizen=visible,
        )

    def information(self, contact_id: uuid.UUID, now: datetime) -> tuple[CaseUpdated, Classified]:
        """The citizen added information: the event on the case, and the contact it becomes
        in the case's region's queue, handed to the queue as triage hands a contact over."""
        self._check_open()
        self.history.append(Entry(now, "information", "citizen", contact_id=contact_id))
        updated = CaseUpdated(
            occurred_at=now,
            **self._about(),
            kind="information",
            by="citizen",
            contact_id=contact_id,
        )
        contact = Classified(
            event_id=uuid.uuid5(updated.event_id, Classified.EVENT_TYPE),
            occurred_at=now,
            contact_id=contact_id,
            region=self.region,
            channel=Channel.E_SERVICE,
            received_at=now,
            accepted_at=now,
            category=NeedCategory.CASE_HELP,
            matter=self.matter,
            priority=INFORMATION_PRIORITY,
            route=Route.OPERATOR,
            rule_id=INFORMATION_RULE,
            rules_version="cases",
        )
        return updated, contact

    def close(self, operator_id: str, reason: CloseReason, now: datetime) -> CaseClosed:
        self._check_open()
        self.status, self.closed_at, self.close_reason = CaseStatus.CLOSED, now, reason
        self.history.append(Entry(now, "closed", "operator", reason=reason))
        return CaseClosed(occurred_at=now, **self._about(), reason=reason, operator_id=operator_id)

    def for_citizen(self) -> list[Entry]:
        """The history the citizen sees: every step, a note only if the operator marked it
        visible, and no contact ids."""
        return [
            replace(entry, contact_id=None)
            for entry in self.history
            if entry.kind != "note" or entry.visible_to_citizen
        ]

    def _check_open(self) -> None:
        if self.status == CaseStatus.CLOSED:
            raise IllegalMove("the case is closed")

    def _about(self) -> dict[str, object]:
        return {"case_id": self.case_id, "case_number": self.case_number, "region": self.region}
