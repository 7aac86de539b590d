"""The cases' HTTP routes (docs/cases.md).

Staff (operator or supervisor token): read a case's secret to tell the citizen, read the case,
add a note, close it; a note and a closing take an Idempotency-Key. The citizen (no token):
`GET /cases/{reference}` and `POST /cases/{reference}/information` with the case's secret in
the `X-Case-Secret` header, never in the URL (addresses end up in logs and histories). A wrong
secret and an unknown reference get the same 404, and too many of them from one address 429.
"""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, HTTPException, Request, Response, status

from schemas.cases import CaseClosed, CaseUpdated
from services.queueing.cases.citizen import CaseNotFound
from services.queueing.cases.secret import MAX_LENGTH
from services.queueing.cases.views import (
    CaseSecret,
    CitizenCase,
    CloseRequest,
    InformationRequest,
    NoteRequest,
    StaffCase,
)
from services.queueing.cases.wiring import CaseDesk
from services.queueing.dependencies import Core, Now, RequestKey, actor
from services.shared.http import caller
from services.shared.identity import Principal, Role

CASE_HEADER = "X-Case-Secret"
staff = APIRouter(prefix="/cases", tags=["cases"])
citizens = APIRouter(prefix="/cases", tags=["citizens"])
Staff = Annotated[Principal, caller(Role.OPERATOR, Role.SUPERVISOR)]
Secret = Annotated[
    str | None,
    Header(alias=CASE_HEADER, max_length=MAX_LENGTH, description="the case's secret"),
]
CASE = "the case's id, or its number (K1234567-26) when no other case shares it"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no case with this reference and secret (either may be wrong)"},
    429: {"description": "too many wrong secrets from this address; try again later"},
}
STAFF_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case"},
    409: {"description": "the case is closed, its number is shared, or a reused key"},
}
T = TypeVar("T")


@staff.get("/{case}/secret", responses=STAFF_REFUSALS)
def secret(case: str, person: Staff, core: Core, now: Now) -> CaseSecret:
    """The case's secret, for the operator to tell the citizen (who read it is audited)."""
    found, code = core.cases.cases.read_secret(actor(person), case, now)
    return CaseSecret(case_id=found.case_id, case_number=found.case_number, secret=code)


@staff.get("/{case}/record", responses=STAFF_REFUSALS)
def record(case: str, _: Staff, core: Core) -> StaffCase:
    """The whole case: every note, who wrote it, and the citizen's words while kept."""
    found = core.cases.cases.find(case)
    rows, words = core.cases.cases.staff_history(found.case_id)
    return StaffCase.of(found, rows, words)


@staff.post("/{case}/notes", responses=STAFF_REFUSALS, status_code=status.HTTP_201_CREATED)
def note(
    case: str, body: NoteRequest, person: Staff, core: Core, now: Now, key: RequestKey = None
) -> CaseUpdated:
    """Adds a note to an open case (the citizen sees it if `visible_to_citizen`). A retry
    under the same Idempotency-Key gets the first response, with no second note."""
    return core.cases.cases.note(actor(person), case, body.text, body.visible_to_citizen, now, key)


@staff.post("/{case}/close", responses=STAFF_REFUSALS)
def close(
    case: str, body: CloseRequest, person: Staff, core: Core, now: Now, key: RequestKey = None
) -> CaseClosed:
    """Closes an open case with a reason. A retry under the same Idempotency-Key gets the
    first response; closing a closed case otherwise is refused (409)."""
    return core.cases.cases.close(actor(person), case, body.reason, now, key)


@citizens.get("/{reference}", responses=NOT_FOUND)
def follow(
    reference: str, request: Request, response: Response, core: Core, secret: Secret = None
) -> CitizenCase:
    """The case's status and history, for whoever holds its reference and secret."""
    response.headers["Cache-Control"] = "no-store"
    desk = core.cases
    found = _limited(desk, request, lambda: desk.citizens.follow(reference, secret))
    return CitizenCase.of(found)


@citizens.post(
    "/{reference}/information",
    responses={**NOT_FOUND, 409: {"description": "the case is closed, or its queue is"}},
    status_code=status.HTTP_201_CREATED,
)
def add_information(
    reference: str,
    body: InformationRequest,
    request: Request,
    core: Core,
    now: Now,
    secret: Secret = None,
    key: RequestKey = None,
) -> dict[str, object]:
    """Adds the citizen's information to their open case: an operator of the case's region
    gets it as a written contact. A retry under the same Idempotency-Key adds nothing more."""
    desk = core.cases

    def add() -> CaseUpdated:
        return desk.citizens.add_information(reference, secret, body.text, now, key)

    updated = _limited(desk, request, add)
    return {"case_number": updated.case_number, "added_at": updated.occurred_at}


def _limited(desk: CaseDesk, request: Request, call: Callable[[], T]) -> T:
    """Runs a citizen's call, counting a wrong secret or unknown reference against the
    client's address, and refusing an address over the limit before it is tried."""
    address = request.client.host if request.client else "unknown"
    if desk.wrong_secrets.blocked(address):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many wrong case secrets from this address; try again later",
            headers={"Retry-After": str(int(desk.wrong_secrets.window))},
        )
    try:
        return call()
    except CaseNotFound:
        desk.wrong_secrets.failed(address)
        raise
