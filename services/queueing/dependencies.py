"""What queueing's routes ask FastAPI for: the use cases the composition root built, the
clock's time, the verified caller (by role), and refusals mapped to HTTP once for every route.

Dependencies that do no I/O are `async def`, so FastAPI runs them on the event loop instead
of handing each to its thread pool; the one that reads the database (the signed-in operator's
session) is a plain `def` and runs on the pool."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request, status
from fastapi.responses import JSONResponse

from services.queueing.bootstrap import Queueing
from services.queueing.domain import Actor, Forbidden, NotFound, QueueError
from services.queueing.requests import IDEMPOTENCY_HEADER
from services.queueing.tables import Operator
from services.shared.http import caller
from services.shared.identity import Principal, Role


async def _queueing(request: Request) -> Queueing:
    queueing: Queueing = request.app.state.queueing
    return queueing


Core = Annotated[Queueing, Depends(_queueing)]


async def _now(core: Core) -> datetime:
    return core.clock.now()


Now = Annotated[datetime, Depends(_now)]


# Who may call what (the person is always the token's subject; see services/shared/identity.py).
PEOPLE = (Role.OPERATOR, Role.SUPERVISOR, Role.ONCALL, Role.AUDITOR)
Person = Annotated[Principal, caller(*PEOPLE)]
OperatorPerson = Annotated[Principal, caller(Role.OPERATOR)]
Supervisor = Annotated[Principal, caller(Role.SUPERVISOR)]
AuditReader = Annotated[Principal, caller(Role.AUDITOR, Role.SUPERVISOR)]
ADAPTER = caller(Role.ADAPTER)


# An answer or outcome's request id: a retry with the same key gets the first response, with
# no second event; the same key with another request is refused (409).
RequestKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        min_length=1,
        max_length=200,
        description="a request id of the caller's choosing; send it again on a retry",
    ),
]


def actor(person: Principal) -> Actor:
    """The person as queueing's audit and events name them."""
    return Actor(person.name, person.subject)


def _current_operator(person: OperatorPerson, core: Core, now: Now) -> Operator:
    """The signed-in operator's open session: bound to their token's subject, so no token can
    act as anyone else. A wrap-up whose time is over ends here."""
    operator = core.operators.on_duty(person.subject, now)
    if operator is None:
        raise Forbidden("not signed in to a queue: POST /operators/login first")
    return operator


CurrentOperator = Annotated[Operator, Depends(_current_operator)]


async def _refused(_: Request, exc: Exception) -> JSONResponse:
    """A request the queue rules refuse: its message is meant for the caller."""
    assert isinstance(exc, QueueError)
    code = status.HTTP_409_CONFLICT
    if isinstance(exc, NotFound):
        code = status.HTTP_404_NOT_FOUND
    elif isinstance(exc, Forbidden):
        code = status.HTTP_403_FORBIDDEN
    return JSONResponse({"detail": str(exc)}, status_code=code)


def map_refusals(app: FastAPI) -> None:
    app.add_exception_handler(QueueError, _refused)
