"""Signing in as a channel adapter or an operator's UI does: at the issuer's token endpoint
(found by discovery), each access token kept until shortly before it expires (the local realm's
live 300 s), then renewed by its refresh token where there is one, else by the same grant.

One cache for the simulator's asyncio tasks (`TokenSource`, never blocking the event loop) and
one for a synchronous reader such as `pkc run`'s status (`BlockingTokenSource`)."""

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from pkc.localoidc.realm import USER_CLIENT
from pkc.localoidc.tokens import client_credentials_grant, password_grant

Headers = dict[str, str]
MARGIN_SECONDS = (
    30.0  # renew this long before expiry: a request in flight must not carry a dead one
)


class SignInRefused(Exception):
    """The issuer refused a grant; the message names who and the OAuth error, never a secret."""


@dataclass(frozen=True)
class Credential:
    name: str  # a person's user name or an adapter's client id: safe to show and log
    form: Mapping[str, str] = field(repr=False)  # the grant's fields, the secret among them

    @classmethod
    def adapter(cls, client_id: str, secret: str) -> "Credential":
        """A channel adapter's service account: the client-credentials grant."""
        return cls(client_id, client_credentials_grant(client_id, secret))

    @classmethod
    def person(cls, username: str, password: str, client_id: str = USER_CLIENT) -> "Credential":
        """A person through the UI's client (the password grant: the local realm only)."""
        return cls(username, password_grant(client_id, username, password))


@dataclass(frozen=True)
class _Held:
    access: str
    good_until: float  # monotonic seconds, the margin already taken off
    refresh: str | None
    refresh_good_until: float


def _held(answer: httpx.Response, who: Credential, now: float, margin: float) -> _Held:
    if answer.status_code != 200:
        raise SignInRefused(f"the issuer refused {who.name}'s sign-in: {_error(answer)}")
    body: dict[str, Any] = answer.json()
    refresh_in = float(body.get("refresh_expires_in") or 0)
    return _Held(
        body["access_token"],
        now + float(body.get("expires_in", 60)) - margin,
        body.get("refresh_token"),
        now + refresh_in - margin,
    )


def _error(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", answer.status_code))
    except ValueError:
        return str(answer.status_code)


def _renewal(who: Credential, held: _Held | None, now: float) -> dict[str, str] | None:
    """The refresh-token grant's form while the refresh token lives; None: sign in again."""
    if held is None or held.refresh is None or held.refresh_good_until <= now:
        return None
    client = {k: v for k, v in who.form.items() if k in ("client_id", "client_secret")}
    return {"grant_type": "refresh_token", "refresh_token": held.refresh, **client}


class TokenSource:
    """Access tokens for many credentials, fetched with `http` (an AsyncClient the caller owns)."""

    def __init__(self, issuer: str, http: httpx.AsyncClient, margin: float = MARGIN_SECONDS):
        self.issuer, self._http, self._margin = issuer, http, margin
        self._endpoint: str | None = None
        self._held: dict[str, _Held] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def signed_in(self, who: Credential) -> "SignedIn":
        return SignedIn(self, who)

    async def headers(self, who: Credential) -> Headers:
        held = self._held.get(who.name)
        if held is None or held.good_until <= time.monotonic():
            # One renewal per credential: the adapters' many contacts at once must not each
            # fetch a token when it runs out.
            async with self._locks.setdefault(who.name, asyncio.Lock()):
                held = self._held.get(who.name)
                if held is None or held.good_until <= time.monotonic():
                    held = self._held[who.name] = await self._fetch(who, held)
        return {"Authorization": f"Bearer {held.access}"}

    def forget(self, who: Credential) -> None:
        """Drops a token a service refused (401), so the next call signs in afresh."""
        self._held.pop(who.name, None)

    async def _fetch(self, who: Credential, held: _Held | None) -> _Held:
        if self._endpoint is None:
            self._endpoint = await _token_endpoint(self._http, self.issuer)
        return await _obtain(self._http, self._endpoint, who, held, self._margin)


async def _token_endpoint(http: httpx.AsyncClient, issuer: str) -> str:
    discovery = await http.get(f"{issuer}/.well-known/openid-configuration")
    discovery.raise_for_status()
    return str(discovery.json()["token_endpoint"])


async def _obtain(
    http: httpx.AsyncClient, endpoint: str, who: Credential, held: _Held | None, margin: float
) -> _Held:
    renewal = _renewal(who, held, time.monotonic())
    if renewal is not None:
        answer = await http.post(endpoint, data=renewal)
        if answer.status_code == 200:
            return _held(answer, who, time.monotonic(), margin)
        # The issuer ended the session (a restart, an idle timeout): sign in again.
    answer = await http.post(endpoint, data=dict(who.form))
    return _held(answer, who, time.monotonic(), margin)


@dataclass(frozen=True)
class SignedIn:
    """One adapter or person, as the simulator's calls carry them."""

    source: TokenSource
    who: Credential

    async def headers(self) -> Headers:
        return await self.source.headers(self.who)

    def forget(self) -> None:
        self.source.forget(self.who)


class BlockingTokenSource:
    """One credential's token for a synchronous caller (a thread of its own, not the loop's)."""

    def __init__(self, issuer: str, who: Credential, margin: float = MARGIN_SECONDS):
        self.issuer, self.who, self._margin = issuer, who, margin
        self._held: _Held | None = None

    def headers(self, timeout: float = 5.0) -> Headers:
        held = self._held
        if held is None or held.good_until <= time.monotonic():
            # Its own short event loop: this runs on a thread without one (the status loop).
            held = self._held = asyncio.run(self._renew(held, timeout))
        return {"Authorization": f"Bearer {held.access}"}

    async def _renew(self, held: _Held | None, timeout: float) -> _Held:
        async with httpx.AsyncClient(timeout=timeout) as http:
            endpoint = await _token_endpoint(http, self.issuer)
            return await _obtain(http, endpoint, self.who, held, self._margin)
