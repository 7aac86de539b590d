"""What every service's HTTP API shares: body limits, safe validation errors, tokens, health."""

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, RouteContext
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.shared.identity import (
    IdentityUnavailable,
    NotAllowed,
    Principal,
    Role,
    TokenVerifier,
    Unauthenticated,
)
from services.shared.tracing import server_span

# FastAPI's own OpenTelemetry, off in every service (service_app). ServerSpans makes the one
# server span per request, named by its route's template; FastAPI's would add a second one with
# the request's path and query (a caller can put anything in a query, personal data too: see
# tests/e2e/test_personal_data.py), spans per phase, metrics, and logs of exception messages.
NO_NATIVE_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "auto_configure": False,
}


def service_app(
    title: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    description: str = "",
) -> FastAPI:
    """A service's FastAPI app, as every service builds it: version 1, FastAPI's own
    OpenTelemetry off (NO_NATIVE_TELEMETRY). `harden` then adds what every app has."""
    return FastAPI(
        title=title,
        version="1",
        lifespan=lifespan,
        description=description,
        telemetry=NO_NATIVE_TELEMETRY,
    )


class BodyLimit:
    """Refuses request bodies over `max_bytes` with 413 before they are parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(self.max_bytes, send)


class _BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing passes it on as it is (it turns any other
    error while reading the body into a 400)."""

    def __init__(self, limit: int):
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE, f"request body larger than {limit} bytes"
        )


async def _too_large(limit: int, send: Send) -> None:
    refusal = _BodyTooLarge(limit)
    response = JSONResponse({"detail": refusal.detail}, status_code=refusal.status_code)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with the path and reason per field, never the submitted values (personal data)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


class ServerSpans:
    """One SERVER span per HTTP request, named by method and route template (never the path
    with its ids, nor the query: they can carry personal data)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in ("/healthz", "/readyz"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        with server_span(f"HTTP {scope['method']}", headers) as span:
            status_code = 500

            async def record(message: Message) -> None:
                nonlocal status_code
                if message["type"] == "http.response.start":
                    status_code = message["status"]
                await send(message)

            await self.app(scope, receive, record)
            route = scope.get("route")
            span.update_name(f"HTTP {scope['method']} {getattr(route, 'path', '')}".strip())
            span.set_attribute("http.response.status_code", status_code)


def harden(
    app: FastAPI,
    identity: TokenVerifier,
    max_body_bytes: int = 64 * 1024,
    page_origins: Sequence[str] = (),
) -> None:
    """What every service's app has: body limits, spans, safe validation errors, the one
    token verifier its routes' `caller(...)` dependencies use, and CORS for `page_origins`
    (PKC_PAGE_ORIGINS; none: no CORS headers at all)."""
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(ServerSpans)
    if page_origins:
        # Added last, so outermost: a preflight is answered before any other middleware.
        # GET and POST with a bearer token only: no cookies (the token is the credential, so
        # no allow_credentials), no other header a page of ours does not send.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(page_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization"],
            max_age=600,
        )
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.state.identity = identity
    for error in _IDENTITY_STATUS:
        app.add_exception_handler(error, _identity_refusal)


_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]

_IDENTITY_STATUS: dict[type[Exception], int] = {
    Unauthenticated: status.HTTP_401_UNAUTHORIZED,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    IdentityUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


async def _identity_refusal(_: Request, exc: Exception) -> JSONResponse:
    """The reason is written for the caller; it names no key and echoes no token."""
    code = _IDENTITY_STATUS[type(exc)]
    headers = {}
    if code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{exc}"'
    elif code == status.HTTP_503_SERVICE_UNAVAILABLE:
        headers["Retry-After"] = "5"
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)


async def verified_caller(request: Request, credentials: Credentials) -> Principal:
    """The verified caller of a request, whatever their role (routes say which they need)."""
    if credentials is None:
        raise Unauthenticated("a bearer token is required")
    verifier: TokenVerifier = request.app.state.identity
    return await verifier.verify(credentials.credentials)


def caller(*roles: Role) -> Any:
    """A dependency admitting a verified caller with one of `roles`: use it as
    `Annotated[Principal, caller(Role.X)]`, or in a route's `dependencies=[...]`."""

    # Straight on the bearer scheme (which the OpenAPI document shows), not on a shared
    # verified_caller dependency: each level of dependencies costs FastAPI about 15 µs a request.
    async def with_role(request: Request, credentials: Credentials) -> Principal:
        principal = await verified_caller(request, credentials)
        return principal.require(*roles)

    with_role.roles = frozenset(roles)  # type: ignore[attr-defined]  # read by roles_of
    return Depends(with_role)


def roles_of(route: APIRoute | RouteContext) -> frozenset[Role] | None:
    """The roles a route admits (from its `caller(...)` dependencies, however deep), or None
    for a route that asks for no token: what the access test and docs/security.md read."""
    found: set[Role] = set()
    guarded = False
    dependant = getattr(route, "dependant", None)
    pending = list(dependant.dependencies) if dependant is not None else []
    while pending:
        dependency = pending.pop()
        roles = getattr(dependency.call, "roles", None)
        if roles is not None:
            guarded = True
            found |= roles
        pending.extend(dependency.dependencies)
    return frozenset(found) if guarded else None


def token_checker(tokens: Callable[[], frozenset[str]]) -> Callable[[Credentials], None]:
    """The shared-token check the routes not yet moved to `caller(...)` still use (going)."""

    def check(credentials: Credentials) -> None:
        if credentials is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token")
        given = credentials.credentials.encode()
        if not any(hmac.compare_digest(given, t.encode()) for t in tokens()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid token")

    return check


def health_router(
    ready: Callable[[], Awaitable[dict[str, Any]]],
    progress: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> APIRouter:
    """/healthz answers while the process runs; /readyz only when `ready()` says all is set.
    `progress` (consumer lag: services/shared/kafka/lag.py) is shown beside the checks and
    never decides readiness."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await ready()
        ok = all(bool(v) for v in checks.values())
        shown = {"ready": ok, "checks": checks} | (await progress() if progress else {})
        return JSONResponse(
            shown,
            status_code=status.HTTP_200_OK if ok else status.HTTP_503_SERVICE_UNAVAILABLE,
        )

    return router


class DatabaseProbe:
    """Readiness's look at a database: `SELECT 1` within `timeout` seconds, its answer kept for
    `ttl` seconds (a prober calling often costs one query a second at most). A lock held by
    another writer does not fail it (reads go on); a consumer waiting it out says so itself."""

    def __init__(self, engine: Engine, timeout: float = 2.0, ttl: float = 1.0):
        self.engine = engine
        self.timeout = timeout
        self.ttl = ttl
        self._answer = False
        self._asked = -float("inf")

    async def __call__(self) -> bool:
        if time.monotonic() - self._asked >= self.ttl:
            try:
                await asyncio.wait_for(asyncio.to_thread(self._select_one), self.timeout)
                self._answer = True
            except Exception:  # down, refusing, or too slow: not ready, whatever the reason
                self._answer = False
            self._asked = time.monotonic()
        return self._answer

    def _select_one(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
