"""What queueing's routes ask FastAPI for: the use cases the composition root built, the
clock's time, the caller's credentials, and refusals mapped to HTTP once for every route.

Dependencies that do no I/O are `async def`, so FastAPI runs them on the event loop instead
of handing each to its thread pool; the one that reads the database (the operator behind a
token) is a plain `def` and runs on the pool."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse

from services.queueing.bootstrap import Queueing
from services.queueing.domain import Forbidden, NotFound, QueueError
from services.queueing.tables import Operator
from services.shared.http import Credentials, token_checker


async def _queueing(request: Request) -> Queueing:
    queueing: Queueing = request.app.state.queueing
    return queueing


Core = Annotated[Queueing, Depends(_queueing)]


async def _now(core: Core) -> datetime:
    return core.clock.now()


Now = Annotated[datetime, Depends(_now)]


def _current_operator(credentials: Credentials, core: Core) -> Operator:
    operator = core.operators.by_token(credentials.credentials) if credentials else None
    if operator is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown or logged-out operator",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return operator


CurrentOperator = Annotated[Operator, Depends(_current_operator)]


async def _operator_ui(credentials: Credentials, core: Core) -> None:
    """An operator UI, which logs operators in."""
    token_checker(core.ui_tokens)(credentials)


async def _supervisor(credentials: Credentials, core: Core) -> None:
    token_checker(core.supervisor_tokens)(credentials)


async def _adapter(credentials: Credentials, core: Core) -> None:
    """A channel adapter, which reports hang-ups."""
    token_checker(core.adapter_tokens)(credentials)


OPERATOR_UI, SUPERVISOR, ADAPTER = Depends(_operator_ui), Depends(_supervisor), Depends(_adapter)


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
