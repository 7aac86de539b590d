"""The cases' use cases: keeping each case from its `CaseCreated`, and what staff do with it
(read its secret to tell the citizen, read it, add a note, close it). Each change commits its
history line, its event (through queueing's outbox) and its audit row in one transaction."""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, exists
from sqlmodel import Session, col, select

from schemas import CaseCreated
from schemas.cases import CaseClosed, CaseUpdated, CloseReason
from services.queueing.cases.domain import Case
from services.queueing.cases.secret import case_secret
from services.queueing.cases.store import CaseFiles, CaseRequests, fingerprint
from services.queueing.cases.tables import CaseEntryRow, CaseInformationRow, CaseRow
from services.queueing.domain import Actor, NotFound, QueueError, QueuePolicy
from services.queueing.store import QueueDb, Tx
from services.queueing.tables import QueueEntry


class Cases:
    def __init__(
        self,
        db: QueueDb,
        policy: QueuePolicy,
        key: bytes,
        request_retention: timedelta,
        closed_retention: timedelta,
        assignable: Callable[[], None] = lambda: None,
    ):
        self.db = db
        self.policy = policy  # the queues' hours, for the contact the citizen's information makes
        self.key = key  # derives each case's secret (secret.py)
        self.request_retention = request_retention
        self.closed_retention = closed_retention
        self.assignable = assignable  # a contact joined a queue: open desks look for offers

    def secret(self, case_id: uuid.UUID) -> str:
        return case_secret(self.key, case_id)

    def record(self, created: CaseCreated) -> bool:
        """Keeps a new case (from an operator's outcome or an e-service); False for a
        redelivered event or a case already kept."""
        with self.db.transaction() as tx:
            if not tx.contacts.first_delivery(created.event_id):
                return False
            files = CaseFiles(tx.session)
            if files.get(created.case_id) is not None:
                return False
            files.add(Case.opened(created))
            return True

    def find(self, case: str) -> Case:
        """A case by its id or its number, for staff; a number two cases share is refused."""
        with Session(self.db.engine) as session:
            return _one(CaseFiles(session), case)

    def read_secret(self, person: Actor, case: str, now: datetime) -> tuple[Case, str]:
        """The case and its secret, to tell the citizen; who read it is audited."""
        with self.db.transaction() as tx:
            found = _one(CaseFiles(tx.session), case)
            tx.audit(now, "case_secret_read", found.region.value, person, case=found.case_number)
        return found, self.secret(found.case_id)

    def staff_history(self, case_id: uuid.UUID) -> tuple[list[CaseEntryRow], dict[uuid.UUID, str]]:
        """Every line of the case's history, and the citizen's words still kept, by contact."""
        with Session(self.db.engine) as session:
            entries = CaseFiles(session).entries(case_id)
            query = select(CaseInformationRow).where(CaseInformationRow.case_id == case_id)
            texts = {row.contact_id: row.text for row in session.exec(query)}
        return entries, texts

    def note(
        self,
        person: Actor,
        case: str,
        text: str,
        visible: bool,
        now: datetime,
        key: str | None = None,
    ) -> CaseUpdated:
        """Adds an operator's note. Under a key already used, the first response again."""
        with self.db.transaction() as tx:
            files, requests = CaseFiles(tx.session), CaseRequests(tx.session)
            found = _one(files, case)
            asked = fingerprint("note", found.case_id, text, visible)
            if (first := requests.first(person.subject, key, asked)) is not None:
                return CaseUpdated.model_validate_json(first)
            updated = found.note(person.subject, text, visible, now)
            self._commit(tx, found, updated, person, now)
            requests.remember(
                person.subject, key, asked, updated.model_dump_json(), self._until(now)
            )
            return updated

    def close(
        self, person: Actor, case: str, reason: CloseReason, now: datetime, key: str | None = None
    ) -> CaseClosed:
        """Closes the case. Under a key already used, the first response again."""
        with self.db.transaction() as tx:
            files, requests = CaseFiles(tx.session), CaseRequests(tx.session)
            found = _one(files, case)
            asked = fingerprint("close", found.case_id, reason)
            if (first := requests.first(person.subject, key, asked)) is not None:
                return CaseClosed.model_validate_json(first)
            closed = found.close(person.subject, reason, now)
            self._commit(tx, found, closed, person, now)
            requests.remember(
                person.subject, key, asked, closed.model_dump_json(), self._until(now)
            )
            return closed

    def purge(self, now: datetime) -> dict[str, int]:
        """The citizen's words whose contact is gone (purged or erased), remembered requests
        past their time, and closed cases past `closed_retention`: how many of each."""
        with self.db.transaction() as tx:
            run = tx.session.connection().execute
            contact_kept = exists().where(
                col(QueueEntry.contact_id) == col(CaseInformationRow.contact_id)
            )
            words = run(delete(CaseInformationRow).where(~contact_kept)).rowcount
            requests = CaseRequests(tx.session).forget_expired(now)
            old = select(CaseRow.case_id).where(
                col(CaseRow.closed_at).is_not(None),
                col(CaseRow.closed_at) < now - self.closed_retention,
            )
            run(delete(CaseEntryRow).where(col(CaseEntryRow.case_id).in_(old)))
            run(delete(CaseInformationRow).where(col(CaseInformationRow.case_id).in_(old)))
            cases = run(delete(CaseRow).where(col(CaseRow.case_id).in_(old))).rowcount
        return {"information": words, "requests": requests, "cases": cases}

    def _commit(
        self, tx: Tx, case: Case, event: CaseUpdated | CaseClosed, person: Actor, now: datetime
    ) -> None:
        CaseFiles(tx.session).append(case, case.history[-1], person.name)
        tx.emit(event)
        kind = "case_note" if isinstance(event, CaseUpdated) else "case_closed"
        reason = event.reason if isinstance(event, CaseClosed) else None
        tx.audit(now, kind, case.region.value, person, case=case.case_number, reason=reason)

    def _until(self, now: datetime) -> datetime:
        return now + self.request_retention


def _one(files: CaseFiles, case: str) -> Case:
    try:
        found = files.get(uuid.UUID(case))
        candidates = [found] if found is not None else []
    except ValueError:
        candidates = files.numbered(case.strip().upper())
    if not candidates:
        raise NotFound("no such case")
    if len(candidates) > 1:
        raise QueueError("more than one case has this number: name the case by its id")
    return candidates[0]
