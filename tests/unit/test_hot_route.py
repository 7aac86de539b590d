"""A route behind a HotRoute answers every request as FastAPI's route alone answers it, byte for
byte: the plain ones on the fast path, the rest by the route (services/shared/hot_route.py).

Each request goes to two copies of one small app, with and without the HotRoute, and the status,
the body's bytes and every header must be the same, and the same things taken."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.types import Message

from services.shared.hot_route import HotRoute
from services.shared.http import caller, harden, service_app
from services.shared.identity import IdentityUnavailable, Principal, Role, Unauthenticated

TOKENS = {
    "adapter-token": Principal("sub-a", "adapter-a", frozenset({Role.ADAPTER}), None, True, 0),
    "operator-token": Principal("sub-o", "op", frozenset({Role.OPERATOR}), None, False, 0),
}


class Tokens:
    """The identity provider's verdicts on this test's tokens (real tokens: tests/integration)."""

    async def verify(self, token: str) -> Principal:
        if token == "while-the-issuer-is-down":
            raise IdentityUnavailable("the identity provider cannot be reached")
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
    if thing.name == "teapot":
        raise HTTPException(418, "a teapot")
    if thing.name == "boom":
        raise RuntimeError("a bug")  # no handler: the server error middleware's 500
    again = thing.name == "again"
    return (200 if again else 202), Taken(name=thing.name, by=principal.name, again=again)


Adapter = Annotated[Principal, caller(Role.ADAPTER)]


def build(hot: bool) -> FastAPI:
    router = APIRouter()

    @router.post("/things", status_code=202)
    async def post_thing(
        thing: Thing, request: Request, response: Response, principal: Adapter
    ) -> Taken:
        request.app.state.by_fastapi += 1
        response.status_code, taken = await take(request.app, thing, principal)
        return taken

    app = service_app("test", _no_lifespan)
    if hot:
        app.add_middleware(HotRoute, route=_route(router), body=Thing, answer=take)
    harden(app, Tokens(), max_body_bytes=LIMIT)  # type: ignore[arg-type]  # Tokens.verify alone

    async def conflict(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    app.add_exception_handler(AlreadyOthers, conflict)
    app.include_router(router)
    app.state.answered, app.state.by_fastapi = [], 0
    return app


def _route(router: APIRouter) -> APIRoute:
    (route,) = [r for r in router.routes if isinstance(r, APIRoute)]
    return route


@asynccontextmanager
async def _no_lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield


def _chunks(body: bytes) -> Iterator[bytes]:
    """A body sent in pieces, without a Content-Length."""
    yield from (body[i : i + 1024] for i in range(0, len(body), 1024))


LIMIT = 32 * 1024  # intake's body limit; deep nesting fits in it
JSON_TYPE = b"application/json"
ADAPTER = {"Authorization": "Bearer adapter-token"}
JSON = {"Content-Type": "application/json"}
THING = {"name": "x", "count": 1}
RAW_THING = b'{"name": "x", "count": 1}'
LARGE_IN_CHUNKS = object()  # stands for a body over the limit sent without a Content-Length


CHARSET = {"Content-Type": "application/json; charset=utf-8"}
# Two Authorization headers: the first is the one read (Starlette's headers.get).
ADAPTER_THEN_UNKNOWN = [*ADAPTER.items(), ("Authorization", "Bearer nope")]
UNKNOWN_THEN_ADAPTER = [("Authorization", "Bearer nope"), *ADAPTER.items()]
PLUS_JSON = {"Content-Type": "application/thing+json"}  # JSON to FastAPI, not to the fast path


def auth(value: str) -> dict[str, str]:
    return {"Authorization": value}


def bearer(token: str) -> dict[str, str]:
    return auth(f"Bearer {token}")


# Answered on the fast path: FastAPI's route never runs.
FAST = [
    ("a new thing", {"json": THING, "headers": ADAPTER}),
    ("a retry", {"json": {"name": "again", "count": 1}, "headers": ADAPTER}),
    ("a charset given", {"content": RAW_THING, "headers": ADAPTER | CHARSET}),
    ("the scheme in capitals", {"json": THING, "headers": auth("BEARER adapter-token")}),
    ("spaces around the token", {"json": THING, "headers": auth("Bearer  adapter-token ")}),
    ("a domain refusal", {"json": {"name": "others", "count": 1}, "headers": ADAPTER}),
    ("an HTTPException", {"json": {"name": "teapot", "count": 1}, "headers": ADAPTER}),
    ("an error without a handler", {"json": {"name": "boom", "count": 1}, "headers": ADAPTER}),
    ("an unknown token", {"json": THING, "headers": bearer("nope")}),
    ("another role's token", {"json": THING, "headers": bearer("operator-token")}),
    ("the issuer down", {"json": THING, "headers": bearer("while-the-issuer-is-down")}),
    ("the first of two tokens the adapter's", {"json": THING, "headers": ADAPTER_THEN_UNKNOWN}),
]  # fmt: skip
# Handed on to FastAPI, which answers them.
HANDED_ON = [
    ("no token", {"json": THING}),
    ("basic, not bearer", {"json": THING, "headers": auth("Basic adapter-token")}),
    ("an empty bearer", {"json": THING, "headers": auth("Bearer ")}),
    ("malformed JSON", {"content": b'{"name": "x",', "headers": ADAPTER | JSON}),
    ("not UTF-8", {"content": b'{"name": "\xff"}', "headers": ADAPTER | JSON}),
    ("nested past the recursion limit", {"content": b"[" * 20_000, "headers": ADAPTER | JSON}),
    ("a field out of range", {"json": {"name": "x", "count": -1}, "headers": ADAPTER}),
    ("a field missing", {"json": {"name": "x"}, "headers": ADAPTER}),
    ("a list, not an object", {"json": [1, 2], "headers": ADAPTER}),
    ("null", {"content": b"null", "headers": ADAPTER | JSON}),
    ("an empty body", {"content": b"", "headers": ADAPTER | JSON}),
    ("no content type", {"content": RAW_THING, "headers": ADAPTER}),
    ("text/plain", {"content": RAW_THING, "headers": ADAPTER | {"Content-Type": "text/plain"}}),
    ("a +json media type", {"content": RAW_THING, "headers": ADAPTER | PLUS_JSON}),
    ("the first of two tokens unknown", {"json": THING, "headers": UNKNOWN_THEN_ADAPTER}),
    ("invalid, and no token", {"json": {"name": "x"}}),
    ("invalid, and an unknown token", {"json": {"name": "x"}, "headers": bearer("nope")}),
    ("too large", {"json": {"name": "x" * LIMIT, "count": 1}, "headers": ADAPTER}),
    ("too large, in chunks", {"content": LARGE_IN_CHUNKS, "headers": ADAPTER | JSON}),
]  # fmt: skip
CASES = FAST + HANDED_ON


def answers(app: FastAPI, request: dict[str, Any]) -> tuple[int, bytes, list[tuple[str, str]]]:
    if request.get("content") is LARGE_IN_CHUNKS:  # a generator for each app to read
        request = request | {"content": _chunks(b'{"name": "' + b"x" * LIMIT + b'"}')}
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.request("POST", "/things", **request)
    return response.status_code, response.content, response.headers.multi_items()


@pytest.mark.parametrize(("case", "request_"), CASES, ids=[c for c, _ in CASES])
def test_every_request_is_answered_as_fastapi_answers_it(
    case: str, request_: dict[str, Any]
) -> None:
    hot, plain = build(hot=True), build(hot=False)
    assert answers(hot, request_) == answers(plain, request_)
    assert hot.state.answered == plain.state.answered  # the same things taken


@pytest.mark.parametrize(("case", "request_"), FAST, ids=[c for c, _ in FAST])
def test_plain_requests_never_reach_fastapi_s_route(case: str, request_: dict[str, Any]) -> None:
    hot = build(hot=True)
    answers(hot, request_)
    assert hot.state.by_fastapi == 0


def test_a_body_fastapi_reads_as_json_but_the_fast_path_does_not_is_the_route_s() -> None:
    hot = build(hot=True)
    assert answers(hot, {"content": RAW_THING, "headers": ADAPTER | PLUS_JSON})[0] == 202
    assert hot.state.by_fastapi == 1


def test_a_client_gone_before_its_body_ended_is_handled_as_fastapi_handles_it() -> None:
    """A whole thing's JSON, then the client goes away: nothing is taken either way."""

    def sent(app: FastAPI) -> list[Message]:
        arriving: list[Message] = [
            {"type": "http.request", "body": RAW_THING, "more_body": True},
            {"type": "http.disconnect"},
        ]
        out: list[Message] = []

        async def receive() -> Message:
            return arriving.pop(0)

        async def send(message: Message) -> None:
            out.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/things",
            "headers": [(b"authorization", b"Bearer adapter-token"), (b"content-type", JSON_TYPE)],
            "query_string": b"",
        }
        asyncio.run(app(scope, receive, send))
        return out

    hot, plain = build(hot=True), build(hot=False)
    assert sent(hot) == sent(plain)
    assert hot.state.answered == plain.state.answered == []


def test_a_route_that_asks_for_more_than_a_role_and_a_body_is_refused() -> None:
    router = APIRouter()

    @router.post("/open")
    async def admits_anyone(thing: Thing) -> None:
        return None

    @router.post("/two-roles")
    async def two_callers(
        thing: Thing, a: Adapter, o: Annotated[Principal, caller(Role.OPERATOR)]
    ) -> None:
        return None

    @router.post("/with-a-query")
    async def with_a_query(thing: Thing, a: Adapter, region: str) -> None:
        return None

    @router.post("/other-body")
    async def other_body(taken: Taken, a: Adapter) -> None:
        return None

    for route in router.routes:
        assert isinstance(route, APIRoute)
        with pytest.raises(ValueError, match="HotRoute takes a route"):
            HotRoute(FastAPI(), route=route, body=Thing, answer=take)


def test_the_fast_path_asks_the_verifier_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """It keeps no verdict of its own: a token the verifier stops accepting is refused."""
    hot = build(hot=True)
    monkeypatch.setitem(TOKENS, "revoked-soon", TOKENS["adapter-token"])
    request = {"json": THING, "headers": bearer("revoked-soon")}
    assert answers(hot, request)[0] == 202
    monkeypatch.delitem(TOKENS, "revoked-soon")
    assert answers(hot, request)[0] == 401
