"""A service's busiest route answered without FastAPI's machinery, when the request is plain.

FastAPI spends more CPU on each request around an endpoint than intake spends on the contact
itself: the routers it passes through, the dependencies it solves, the body field, the response
model, about ten wrappers each way (`python -m bench profile`: 45 % of intake's samples under
load, its own work 12 %; in process 195 µs a request around the endpoint, 26 µs without it;
issue 20).

`HotRoute` is an ASGI middleware for one JSON POST route whose only dependency is its caller's
role (`caller(...)`, services/shared/http.py) and whose only input is its body. It takes the
route's steps in FastAPI's order: the body is read and must be `application/json` that
`json.loads` reads; the bearer token is verified and its role checked; the model validates the
body; then it calls `answer`, the function the FastAPI route calls too. A request that is not
plain (no bearer token, another media type, a body that is not JSON or that the model refuses,
a client gone mid-body) goes on to FastAPI with what was received replayed, so FastAPI's route
answers it. Errors raised on the way (a token refused, a domain refusal from `answer`) go to the
app's exception handlers, through Starlette's own exception middleware, as from the route.
`HotRoute` refuses a route with anything else to honour (other dependencies or parameters);
what it cannot see on the route (dependencies or a prefix given to `include_router` or the app)
its user must not add. Install it before `harden`, so the body limit and server span wrap it.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.shared.identity import Principal, Role

Answer = Callable[[Starlette, Any, Principal], Awaitable[tuple[int, BaseModel]]]
_JSON = b"application/json"
_RAISED = "pkc.hot_route.raised"  # the scope key of the error `_raise_again` raises


class HotRoute:
    def __init__(self, app: ASGIApp, route: APIRoute, body: type[BaseModel], answer: Answer):
        self.roles = _roles_if_plain(route, body)
        self.app = app
        self.route = route
        self.body = body
        self.answer = answer
        self._handled: ExceptionMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.route.path:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route  # as FastAPI sets it: ServerSpans names the span by it
        token, media_type = _bearer_and_media_type(scope)
        received = await _receive_body(receive)
        parsed = _json(_whole(received)) if media_type == "application/json" else None
        if token is None or parsed is None:  # FastAPI's to answer, word for word
            await self.app(scope, _replaying(received, receive), send)
            return
        try:
            answered = await self._answered(
                scope, token, parsed, _replaying(received, receive), send
            )
        except Exception as error:  # the app's handler for it answers, or the server's 500
            scope[_RAISED] = error
            await self._handling(scope["app"])(scope, _replaying(received, receive), send)
            return
        if answered is not None:
            code, payload = answered
            length = str(len(payload)).encode()
            headers = [(b"content-length", length), (b"content-type", _JSON)]
            await send({"type": "http.response.start", "status": code, "headers": headers})
            await send({"type": "http.response.body", "body": payload})

    async def _answered(
        self, scope: Scope, token: str, parsed: Any, receive: Receive, send: Send
    ) -> tuple[int, bytes] | None:
        """A plain request's status and body; None when FastAPI answered it instead."""
        verified = await scope["app"].state.identity.verify(token)
        principal = verified.require(*self.roles)
        try:
            submitted = self.body.model_validate(parsed)
        except ValidationError:  # FastAPI's 422, which names the fields
            await self.app(scope, receive, send)
            return None
        code, answer = await self.answer(scope["app"], submitted, principal)
        return code, answer.model_dump_json().encode()

    def _handling(self, app: Starlette) -> ExceptionMiddleware:
        """Starlette's exception middleware with the app's handlers, around an app raising
        the error again: the error is answered as the route's would be (a handler for
        `Exception` or 500 belongs to the server error middleware, outside both, as in
        Starlette's stack). Built at the first error, when every handler is registered."""
        if self._handled is None:
            handlers = {
                key: handler
                for key, handler in app.exception_handlers.items()
                if key not in (500, Exception)
            }
            self._handled = ExceptionMiddleware(_raise_again, handlers=handlers)
        return self._handled


async def _raise_again(scope: Scope, receive: Receive, send: Send) -> None:
    raise scope.pop(_RAISED)


def _roles_if_plain(route: APIRoute, body: type[BaseModel]) -> frozenset[Role]:
    """The roles the route's one `caller(...)` admits. The fast path honours a role, a JSON
    body and nothing else: a route that asks for more (another dependency, a parameter from the
    path, query, headers or cookies) is refused here, so a maintainer adding one to the route
    cannot have the fast path silently skip it."""
    dependant, name = route.dependant, route.path
    guards = [d for d in dependant.dependencies if getattr(d.call, "roles", None) is not None]
    if len(guards) != 1 or len(dependant.dependencies) != 1 or route.dependencies:
        raise ValueError(f"{name}: HotRoute takes a route whose one dependency is caller(...)")
    params = (dependant.path_params, dependant.query_params, dependant.header_params)
    if any(params) or dependant.cookie_params:
        raise ValueError(f"{name}: HotRoute takes a route with no parameters but its body")
    bodies = dependant.body_params
    if len(bodies) != 1 or bodies[0].field_info.annotation is not body:
        raise ValueError(f"{name}: HotRoute takes a route whose one body is {body.__name__}")
    roles: frozenset[Role] = guards[0].call.roles  # type: ignore[union-attr]  # caller(...)'s
    return roles


def _bearer_and_media_type(scope: Scope) -> tuple[str | None, str | None]:
    """The bearer token (None without one, as FastAPI's HTTPBearer reads it) and the body's
    media type, each from its first header, as Starlette's `headers.get` reads them."""
    first: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in (b"authorization", b"content-type") and name not in first:
            first[name] = value.decode("latin-1")
    scheme, credentials = get_authorization_scheme_param(first.get(b"authorization"))
    token = credentials if scheme.lower() == "bearer" else None
    media_type = first.get(b"content-type", "").partition(";")[0].strip().lower()
    return token or None, media_type or None


async def _receive_body(receive: Receive) -> list[Message]:
    """The messages of the request's body as received, up to its last or a disconnect."""
    received = []
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return received


def _whole(received: list[Message]) -> bytes | None:
    """The body, if all of it came (None: the client went away before its end)."""
    if received[-1]["type"] != "http.request":
        return None
    return b"".join(message.get("body", b"") for message in received)


def _json(body: bytes | None) -> Any:
    """The body read as FastAPI reads it (`json.loads`); None if it cannot be (FastAPI then says
    why), whatever the reason: not UTF-8, not JSON, nested past the recursion limit."""
    if not body:
        return None
    try:
        return json.loads(body)
    except Exception:  # each of them is FastAPI's to answer
        return None


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """`receive` with the messages already received handed out again first."""
    pending = list(reversed(received))

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
