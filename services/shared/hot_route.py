"""A service's busiest route answered without FastAPI's machinery, when the request is plain.

FastAPI spends more CPU on each request around an endpoint than intake spends on the contact
itself: the routers it passes through, the dependencies it solves, the body field, the response
model, about ten wrappers each way (`python -m bench profile`: 45 % of intake's samples under
load, its own work 12 %; in process 195 µs a request against 41 µs without it; issue 20).

`HotRoute` is an ASGI middleware for one JSON POST route. For a request that needs none of
FastAPI's judgement (a bearer token of a role the route admits, an `application/json` body its
model accepts) it does those steps itself and calls `answer`, the same function the FastAPI
route calls. Every other request (no token or a refused one, a body that is not JSON or that the
model refuses) goes on to FastAPI with its body replayed, so every refusal is FastAPI's route's,
word for word: the contract is written once, in the route, and the route stays in the OpenAPI
document and in the access table. Errors `answer` raises go to the app's exception handlers, as
FastAPI's would. Install it inside `BodyLimit` and `ServerSpans` (before `harden`), which
then limit and trace its requests as any other.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.shared.http import roles_of
from services.shared.identity import IdentityUnavailable, NotAllowed, Principal, Unauthenticated

Answer = Callable[[Starlette, Any, Principal], Awaitable[tuple[int, BaseModel]]]
_JSON_HEADERS = [(b"content-type", b"application/json")]


class HotRoute:
    def __init__(self, app: ASGIApp, route: APIRoute, body: type[BaseModel], answer: Answer):
        roles = roles_of(route)
        if not roles:  # the fast path admits callers by role: a route without one is not for it
            raise ValueError(f"{route.path} admits no role: HotRoute is for a guarded route")
        self.app = app
        self.route = route
        self.roles = roles
        self.body = body
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.route.path:
            await self.app(scope, receive, send)
            return
        token, media_type = _bearer_and_media_type(scope)
        principal = await self._caller(scope, token)
        body = await _read_body(receive)
        parsed = self._parsed(body) if media_type == "application/json" else None
        if principal is None or parsed is None:
            await self.app(scope, _replaying(body, receive), send)  # FastAPI's answer
            return
        scope["route"] = self.route  # as FastAPI sets it: ServerSpans names the span by it
        try:
            code, answer = await self.answer(scope["app"], parsed, principal)
        except Exception as error:
            await _handled(scope, receive, send, error)
            return
        payload = answer.model_dump_json().encode()
        await send(
            {
                "type": "http.response.start",
                "status": code,
                "headers": [(b"content-length", str(len(payload)).encode()), *_JSON_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _caller(self, scope: Scope, token: str | None) -> Principal | None:
        """The verified caller if they may use the route; None for FastAPI to refuse."""
        if not token:
            return None
        try:
            principal: Principal = await scope["app"].state.identity.verify(token)
        except (Unauthenticated, NotAllowed, IdentityUnavailable):
            return None
        return principal if principal.has(*self.roles) else None

    def _parsed(self, body: bytes) -> Any:
        # As FastAPI reads a JSON body (json.loads, then the model on the Python objects), so
        # a body accepted here is one its route accepts, with the same values.
        try:
            return self.body.model_validate(json.loads(body))
        except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError too
            return None


def _bearer_and_media_type(scope: Scope) -> tuple[str | None, str | None]:
    """The bearer token and the body's media type, each from its first header (as Starlette's
    `headers.get` reads them for FastAPI)."""
    first: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in (b"authorization", b"content-type") and name not in first:
            first[name] = value.decode("latin-1")
    scheme, _, credentials = first.get(b"authorization", "").partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else None
    media_type = first.get(b"content-type", "").partition(";")[0].strip().lower()
    return token, media_type or None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: FastAPI's to handle
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` with the body already read handed out first, then the client's own."""
    pending: Message | None = {"type": "http.request", "body": body, "more_body": False}

    async def replay() -> Message:
        nonlocal pending
        if pending is None:
            return await receive()
        message, pending = pending, None
        return message

    return replay


async def _handled(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    """`error` answered by the app's handler for its class, as Starlette's exception middleware
    would; raised on when there is none (a handler for `Exception` itself is the server error
    middleware's, outside, as in Starlette)."""
    handlers = scope["app"].exception_handlers
    classes = (c for c in type(error).__mro__ if c is not Exception and c in handlers)
    handler = next((handlers[c] for c in classes), None)
    if handler is None:
        raise error
    response = await handler(Request(scope, receive), error)
    await response(scope, receive, send)
