"""What the citizen does with their case's reference and secret: follow it, and add information,
which becomes an event on the case and a written e-service contact in the case's region's queue
(the path a classified contact takes, Contact.arrive), so operators get it on their desks.

A wrong secret and an unknown reference are the same `NotFound`, decided after comparing in
constant time against every case with the number (or a stand-in when there is none)."""

import uuid
from datetime import datetime

from sqlmodel import Session

from schemas.cases import CaseUpdated
from services.queueing.cases.cases import Cases
from services.queueing.cases.domain import Case
from services.queueing.cases.secret import matches
from services.queueing.cases.store import CaseFiles, CaseRequests, fingerprint
from services.queueing.cases.tables import CaseInformationRow
from services.queueing.contact import Contact
from services.queueing.domain import IllegalMove, NotFound
from services.shared.tracing import current_traceparent

NOT_FOUND = "no case with this reference and secret"
_STAND_IN = uuid.UUID(int=0)  # compared against when no case has the number


class CaseNotFound(NotFound):
    """Unknown reference or wrong secret: one refusal for both (the routes count it)."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


class Citizens:
    def __init__(self, cases: Cases):
        self.cases = cases

    def follow(self, reference: str, secret: str | None) -> Case:
        with Session(self.cases.db.engine) as session:
            return self._verified(CaseFiles(session), reference, secret)

    def add_information(
        self, reference: str, secret: str | None, text: str, now: datetime, key: str | None = None
    ) -> CaseUpdated:
        """Adds the citizen's information to their open case and queues it for an operator.
        A retry under the same Idempotency-Key gets the first response, and no second contact;
        a written contact, it waits for the opening when the queue is closed (docs/queues.md)."""
        with self.cases.db.transaction() as tx:
            files, requests = CaseFiles(tx.session), CaseRequests(tx.session)
            case = self._verified(files, reference, secret)
            requester, asked = f"citizen:{case.case_id}", fingerprint("information", text)
            if (first := requests.first(requester, key, asked)) is not None:
                return CaseUpdated.model_validate_json(first)
            contact_id = uuid.uuid4()
            updated, classified = case.information(contact_id, now)
            arrival = Contact.arrive(classified, self.cases.policy, now, current_traceparent())
            if arrival.contact is None:
                raise IllegalMove("the queue is closed now; send your information when it opens")
            tx.contacts.add(arrival.contact)
            files.append(case, case.history[-1])
            tx.session.add(
                CaseInformationRow(
                    contact_id=contact_id, case_id=case.case_id, received_at=now, text=text
                )
            )
            tx.emit(updated)
            tx.emit(arrival.event)
            until = now + self.cases.request_retention
            requests.remember(requester, key, asked, updated.model_dump_json(), until)
        self.cases.assignable()
        return updated

    def _verified(self, files: CaseFiles, reference: str, secret: str | None) -> Case:
        candidates: list[Case | None] = [*files.numbered(normalised_reference(reference))]
        found = None
        for case in candidates or [None]:
            expected = self.cases.secret(case.case_id if case else _STAND_IN)
            if matches(secret, expected) and case is not None:
                found = case
        if found is None:
            raise CaseNotFound()
        return found


def normalised_reference(reference: str) -> str:
    """K1234567-26 as typed: any case, with spaces."""
    return reference.strip().upper().replace(" ", "")[:24]
