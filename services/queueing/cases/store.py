"""Cases in and out of their rows, inside one of queueing's transactions, and the requests a
retry must get the first response of."""

import hashlib
import uuid
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from schemas import MatterType, Region
from services.queueing.cases.domain import Case, CaseStatus, Entry
from services.queueing.cases.tables import CaseEntryRow, CaseRequestRow, CaseRow
from services.queueing.requests import IDEMPOTENCY_HEADER, RequestReused
from services.queueing.tables import utc


class CaseFiles:
    def __init__(self, session: Session):
        self.session = session

    def get(self, case_id: uuid.UUID) -> Case | None:
        row = self.session.get(CaseRow, case_id)
        return None if row is None else self._case(row)

    def numbered(self, case_number: str) -> list[Case]:
        """Every case with this number (numbers can repeat: services/shared/cases.py)."""
        rows = self.session.exec(select(CaseRow).where(CaseRow.case_number == case_number))
        return [self._case(row) for row in rows]

    def add(self, case: Case) -> None:
        self.session.add(
            CaseRow(
                case_id=case.case_id,
                case_number=case.case_number,
                region=case.region.value,
                matter=case.matter.value,
                contact_id=case.contact_id,
                created_by=case.created_by,
                created_at=case.created_at,
            )
        )
        for entry in case.history:
            self.append(case, entry)

    def append(self, case: Case, entry: Entry, actor: str = "") -> None:
        """Writes a new line of the case's history (and its status, if it changed)."""
        self.session.add(
            CaseEntryRow(
                case_id=case.case_id,
                at=entry.at,
                kind=entry.kind,
                by=entry.by,
                actor=actor[:64],
                visible_to_citizen=entry.visible_to_citizen,
                text=entry.text,
                reason=entry.reason,
                contact_id=entry.contact_id,
            )
        )
        self.session.connection().execute(
            update(CaseRow)
            .where(col(CaseRow.case_id) == case.case_id)
            .values(
                status=case.status.value, closed_at=case.closed_at, close_reason=case.close_reason
            )
        )

    def entries(self, case_id: uuid.UUID) -> list[CaseEntryRow]:
        query = select(CaseEntryRow).where(CaseEntryRow.case_id == case_id)
        return list(self.session.exec(query.order_by(col(CaseEntryRow.id))))

    def _case(self, row: CaseRow) -> Case:
        history = [
            Entry(
                at=utc(e.at),
                kind=e.kind,  # type: ignore[arg-type]  # written from the Literal
                by=e.by,  # type: ignore[arg-type]
                visible_to_citizen=e.visible_to_citizen,
                text=e.text,
                reason=e.reason,
                contact_id=e.contact_id,
            )
            for e in self.entries(row.case_id)
        ]
        return Case(
            case_id=row.case_id,
            case_number=row.case_number,
            region=Region(row.region),
            matter=MatterType(row.matter),
            contact_id=row.contact_id,
            created_by=row.created_by,  # type: ignore[arg-type]
            created_at=utc(row.created_at),
            status=CaseStatus(row.status),
            closed_at=utc(row.closed_at) if row.closed_at else None,
            close_reason=row.close_reason,
            history=history,
        )


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


class CaseRequests:
    """Responses remembered under an Idempotency-Key, in the transaction of their change."""

    def __init__(self, session: Session):
        self.session = session

    def first(self, requester: str, key: str | None, asked: str) -> str | None:
        """The response given under this key before; None for a new key (or none). A key
        reused for another request is refused."""
        if key is None:
            return None
        query = select(CaseRequestRow).where(
            CaseRequestRow.requester == requester, CaseRequestRow.request_key == key
        )
        recorded = self.session.exec(query).first()
        if recorded is None:
            return None
        if recorded.fingerprint != asked:
            raise RequestReused(
                f"this {IDEMPOTENCY_HEADER} was already used for a different request; "
                "send a new key for a new request"
            )
        return recorded.response_json

    def remember(
        self, requester: str, key: str | None, asked: str, response: str, expires_at: datetime
    ) -> None:
        if key is not None:
            self.session.add(
                CaseRequestRow(
                    requester=requester,
                    request_key=key,
                    fingerprint=asked,
                    response_json=response,
                    expires_at=expires_at,
                )
            )

    def forget_expired(self, now: datetime) -> int:
        statement = delete(CaseRequestRow).where(col(CaseRequestRow.expires_at) <= now)
        return int(self.session.connection().execute(statement).rowcount)
