"""Who is calling: an OIDC access token (a JWT) verified the standard way, and the person or
service account it names, with the roles and the region its claims give.

Verification follows the issuer's own publication: the discovery document (whose `issuer` must
be the configured one), its JWKS (cached, fetched again when a token names a key not seen yet,
so a rotated key is picked up, but at most every `REFRESH_SECONDS` so a stream of made-up key
ids cannot turn us into a load generator against the issuer), then PyJWT checks the signature,
`iss`, `aud`, `exp`, `nbf` and `iat` with a small leeway. Only asymmetric algorithms are
accepted: `none` and HMAC (where the public key would be the secret) are refused before any key
is looked at. Reasons given to the caller name what is wrong, never a key or the token.

This module knows nothing of HTTP: services/shared/http.py maps its errors to 401/403/503.
"""

import asyncio
import http.client
import json
import time
import urllib.request
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import jwt

from schemas import Region

NATIONAL = "national"
ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
REFRESH_SECONDS = 30.0  # the shortest time between two JWKS fetches
MAX_KEY_AGE_SECONDS = 3600.0  # keys are fetched again after this long even if all are known
CACHE_SIZE = 10_000  # verified tokens remembered until they expire (one RSA check per token)
FETCH_TIMEOUT_SECONDS = 5.0  # for each of the discovery document and the JWKS


class Role(StrEnum):
    ADAPTER = "adapter"  # a channel adapter's service account
    OPERATOR = "operator"  # a person answering contacts in their home region
    SUPERVISOR = "supervisor"  # a person leading a region, or the country (region national)
    ONCALL = "oncall"  # a person on call, who acknowledges alerts
    AUDITOR = "auditor"  # a person reading the audit trail


class Unauthenticated(Exception):
    """No token, or one that does not verify: 401 with this reason."""


class NotAllowed(Exception):
    """A verified caller without the role or the region for this: 403 with this reason."""


class IdentityUnavailable(Exception):
    """The issuer cannot be reached or is not configured: 503, nobody is let in meanwhile."""


@dataclass(frozen=True)
class Principal:
    """A verified caller. `subject` is the token's `sub` (the person or service account, as the
    issuer names it); `name` is what people reading the audit recognise (the user name, or the
    adapter's client id); `region` is the home region, None for national or none given."""

    subject: str
    name: str
    roles: frozenset[Role]
    region: Region | None
    national: bool
    expires_at: float

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def may_act_in(self, region: Region) -> bool:
        return self.national or self.region == region

    def require(self, *roles: Role) -> "Principal":
        if not self.has(*roles):
            needed = " or ".join(sorted(role.value for role in roles))
            raise NotAllowed(f"this needs the role {needed}")
        return self

    def require_region(self, region: Region) -> "Principal":
        if not self.may_act_in(region):
            raise NotAllowed(f"not allowed to act in region {region.value}")
        return self


def principal_of(claims: dict[str, Any]) -> Principal:
    """The caller a verified token's claims describe (roles and region as the realm maps them:
    `roles` a list, `region` one of the regions or 'national')."""
    given = claims.get("roles", [])
    names = given if isinstance(given, list) else [given]
    roles = frozenset(Role(r) for r in names if r in Role.__members__.values())
    region_claim = claims.get("region")
    if isinstance(region_claim, list):  # a multivalued attribute mapped as a list
        region_claim = region_claim[0] if len(region_claim) == 1 else None
    national = region_claim == NATIONAL
    region = Region(str(region_claim)) if region_claim in Region.__members__.values() else None
    name = claims.get("preferred_username") or claims.get("azp") or claims["sub"]
    if str(name).startswith("service-account-") and claims.get("azp"):
        name = claims["azp"]  # Keycloak's name for a client's account: the client id says it
    return Principal(
        subject=str(claims["sub"]),
        name=str(name)[:64],
        roles=roles,
        region=region,
        national=national,
        expires_at=float(claims["exp"]),
    )


_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is meant for another audience"),
    (jwt.InvalidIssuerError, "the token comes from another issuer"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.DecodeError, "the token is not a well-formed JWT"),
)


def _reason(error: jwt.InvalidTokenError) -> str:
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            if isinstance(error, jwt.MissingRequiredClaimError):
                return f"the token lacks the claim {error.claim}"
            return reason
    return "the token is not valid"


class TokenVerifier:
    """Verifies access tokens from one issuer for one audience (see the module's docstring)."""

    def __init__(self, issuer: str | None, audience: str, leeway_seconds: float = 30.0):
        self.issuer = issuer.rstrip("/") if issuer else None
        self.audience = audience
        self.leeway = leeway_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self._verified: dict[str, Principal] = {}

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None and known.expires_at + self.leeway > time.time():
            return known
        if self.issuer is None:
            raise IdentityUnavailable("no identity provider is configured (PKC_OIDC_ISSUER)")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthenticated("the token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise Unauthenticated(f"the token's algorithm {str(algorithm)[:16]!r} is not accepted")
        key = await self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(_reason(error)) from None
        principal = principal_of(claims)
        self._remember(token, principal)
        return principal

    async def _key(self, kid: str) -> jwt.PyJWK:
        stale = time.monotonic() - self._fetched_at > MAX_KEY_AGE_SECONDS
        if kid not in self._keys or stale:
            async with self._lock:
                since = time.monotonic() - self._fetched_at
                if (kid not in self._keys and since > REFRESH_SECONDS) or stale:
                    await self._fetch_keys()
        key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("the token is signed with a key the issuer does not publish")
        return key

    async def _fetch_keys(self) -> None:
        try:
            key_set = await asyncio.to_thread(self._published_keys)
        except (
            OSError,
            http.client.HTTPException,
            ValueError,
            KeyError,
            jwt.PyJWKSetError,
        ) as error:
            raise IdentityUnavailable(
                f"the identity provider did not answer ({type(error).__name__})"
            ) from None
        self._keys = {str(key.key_id): key for key in key_set.keys if key.key_id}
        self._fetched_at = time.monotonic()

    def _published_keys(self) -> jwt.PyJWKSet:
        assert self.issuer is not None
        document = _get_json(f"{self.issuer}/.well-known/openid-configuration")
        if str(document.get("issuer", "")).rstrip("/") != self.issuer:
            raise IdentityUnavailable("the issuer's discovery document names another")
        return jwt.PyJWKSet.from_dict(_get_json(document["jwks_uri"]))

    def _remember(self, token: str, principal: Principal) -> None:
        if len(self._verified) >= CACHE_SIZE:
            now = time.time()
            self._verified = {
                t: p for t, p in self._verified.items() if p.expires_at + self.leeway > now
            }
            if len(self._verified) >= CACHE_SIZE:
                self._verified.clear()
        self._verified[token] = principal


def _get_json(url: str) -> Any:
    """One JSON document from the issuer, by the standard library's client in a worker thread.

    Keys are fetched seldom (at most every REFRESH_SECONDS), and an async HTTP client here would
    be reporting's only reason to load one: httpx and what it brings cost 5 MiB resident there
    (issue 20's memory goal)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("the issuer published an address that is not http(s)")
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as answer:  # noqa: S310
        return json.load(answer)
