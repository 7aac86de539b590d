"""A route behind a HotRoute answers every request as FastAPI's route alone answers it: the
plain ones on the fast path, every refusal word for word FastAPI's (services/shared/hot_route.py).

Each request goes to two copies of one small app, with and without the HotRoute, and the status,
body and the headers a caller reads must be the same."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from starlette.applications import Starlette

from services.shared.hot_route import HotRoute
from services.shared.http import caller, harden, service_app
from services.shared.identity import Principal, Role, Unauthenticated

TOKENS = {
    "adapter-token": Principal("sub-a", "adapter-a", frozenset({Role.ADAPTER}), None, True, 0),
    "operator-token": Principal("sub-o", "op", frozenset({Role.OPERATOR}), None, False, 0),
}


class Tokens:
    """The identity provider's verdicts on this test's tokens (real tokens: tests/integration)."""

    async def verify(self, token: str) -> Principal:
        if token not in TOKENS:
            raise Unauthenticated("the token is not a well-formed JWT")
        return TOKENS[token]


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=0)


class Taken(BaseModel):
    name: str
    by: str
    again: bool


class AlreadyOthers(Exception):
    """A domain refusal the app maps to 409 (as intake maps IdempotencyKeyReused)."""


async def take(app: Starlette, thing: Thing, principal: Principal) -> tuple[int, Taken]:
    app.state.answered.append(thing.name)
    if thing.name == "others":
        raise AlreadyOthers("taken by another adapter")
    again = thing.name == "again"
    return (200 if again else 202), Taken(name=thing.name, by=principal.name, again=again)


def build(hot: bool) -> FastAPI:
    router = APIRouter()

    @router.post("/things", status_code=202)
    async def post_thing(
        thing: Thing,
        request: Request,
        response: Response,
        principal: Annotated[Principal, caller(Role.ADAPTER)],
    ) -> Taken:
        request.app.state.by_fastapi += 1
        response.status_code, taken = await take(request.app, thing, principal)
        return taken

    app = service_app("test", _no_lifespan)
    if hot:
        (route,) = [r for r in router.routes if isinstance(r, APIRoute)]
        app.add_middleware(HotRoute, route=route, body=Thing, answer=take)
    harden(app, Tokens(), max_body_bytes=200)  # type: ignore[arg-type]  # Tokens.verify alone

    async def conflict(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    app.add_exception_handler(AlreadyOthers, conflict)
    app.include_router(router)
    app.state.answered, app.state.by_fastapi = [], 0
    return app


@asynccontextmanager
async def _no_lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield


ADAPTER = {"Authorization": "Bearer adapter-token"}
OPERATOR = {"Authorization": "Bearer operator-token"}
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}
PLAIN = [
    ("a new thing", {"json": {"name": "one", "count": 1}, "headers": ADAPTER}),
    ("a retry", {"json": {"name": "again", "count": 1}, "headers": ADAPTER}),
    ("a domain refusal", {"json": {"name": "others", "count": 1}, "headers": ADAPTER}),
    (
        "a charset given",
        {
            "content": b'{"name": "one", "count": 2}',
            "headers": ADAPTER | {"Content-Type": "application/json; charset=utf-8"},
        },
    ),
    (
        "the scheme in capitals",
        {"json": {"name": "one", "count": 3}, "headers": {"Authorization": "BEARER adapter-token"}},
    ),
]
THING = {"name": "x", "count": 1}
REFUSED = [
    ("no token", {"json": THING}),
    ("an unknown token", {"json": THING, "headers": {"Authorization": "Bearer nope"}}),
    ("another role's token", {"json": THING, "headers": OPERATOR}),
    ("basic, not bearer", {"json": THING, "headers": {"Authorization": "Basic adapter-token"}}),
    ("malformed JSON", {"content": b'{"name": "x",', "headers": ADAPTER | JSON}),
    ("not UTF-8", {"content": b'{"name": "\xff"}', "headers": ADAPTER | JSON}),
    ("a field out of range", {"json": {"name": "x", "count": -1}, "headers": ADAPTER}),
    ("a field missing", {"json": {"name": "x"}, "headers": ADAPTER}),
    ("a list, not an object", {"json": [1, 2], "headers": ADAPTER}),
    ("an empty body", {"content": b"", "headers": ADAPTER | JSON}),
    ("no content type", {"content": b'{"name": "x", "count": 1}', "headers": ADAPTER}),
    ("text/plain", {"content": b'{"name": "x", "count": 1}', "headers": ADAPTER | TEXT}),
    ("too large", {"json": {"name": "x" * 300, "count": 1}, "headers": ADAPTER}),
]  # fmt: skip
READ_HEADERS = ("content-type", "www-authenticate", "retry-after")


def answers(app: FastAPI, method: str, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.request(method, "/things", **request)
    headers = {h: response.headers[h] for h in READ_HEADERS if h in response.headers}
    return response.status_code, response.json(), headers


@pytest.mark.parametrize(("case", "request_"), PLAIN + REFUSED, ids=[c for c, _ in PLAIN + REFUSED])
def test_every_request_is_answered_as_fastapi_answers_it(
    case: str, request_: dict[str, Any]
) -> None:
    hot, plain = build(hot=True), build(hot=False)
    assert answers(hot, "POST", request_) == answers(plain, "POST", request_)
    assert hot.state.answered == plain.state.answered  # the same things taken


@pytest.mark.parametrize(("case", "request_"), PLAIN, ids=[c for c, _ in PLAIN])
def test_plain_requests_never_reach_fastapi_s_route(case: str, request_: dict[str, Any]) -> None:
    hot = build(hot=True)
    answers(hot, "POST", request_)
    assert hot.state.answered
    assert hot.state.by_fastapi == 0


@pytest.mark.parametrize(("case", "request_"), REFUSED, ids=[c for c, _ in REFUSED])
def test_every_refusal_is_fastapi_s_own(case: str, request_: dict[str, Any]) -> None:
    hot = build(hot=True)
    status, _, _ = answers(hot, "POST", request_)
    assert status in (400, 401, 403, 413, 422)
    assert hot.state.answered == []


def test_other_methods_on_the_path_are_fastapi_s() -> None:
    hot, plain = build(hot=True), build(hot=False)
    assert (
        answers(hot, "GET", {})
        == answers(plain, "GET", {})
        == (
            405,
            {"detail": "Method Not Allowed"},
            {"content-type": "application/json"},
        )
    )


def test_a_route_that_admits_anyone_is_refused() -> None:
    router = APIRouter()

    @router.post("/open")
    async def open_route(thing: Thing) -> None:
        return None

    (route,) = [r for r in router.routes if isinstance(r, APIRoute)]
    with pytest.raises(ValueError, match="admits no role"):
        HotRoute(FastAPI(), route=route, body=Thing, answer=take)


def test_verified_tokens_expire_as_the_verifier_says() -> None:
    """The fast path asks the app's verifier every time: it keeps no verdict of its own."""
    hot = build(hot=True)
    TOKENS["short-lived"] = Principal("s", "a", frozenset({Role.ADAPTER}), None, True, time.time())
    request = {
        "json": {"name": "one", "count": 1},
        "headers": {"Authorization": "Bearer short-lived"},
    }
    assert answers(hot, "POST", request)[0] == 202
    del TOKENS["short-lived"]  # revoked, expired: the verifier now refuses it
    assert answers(hot, "POST", request)[0] == 401
