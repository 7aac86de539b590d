"""The simulator's token source against a fake token endpoint: one sign-in per person however
many calls run at once, a renewal by refresh token before the token expires, a fresh sign-in when
the refresh is refused, and no secret in what is shown."""

import asyncio
import itertools
import json
from urllib.parse import parse_qs

import httpx
import pytest

from pkc.simulation.signin import BlockingTokenSource, Credential, SignInRefused, TokenSource

ISSUER = "http://issuer.test/realms/pkc"
ENDPOINT = f"{ISSUER}/protocol/openid-connect/token"


class FakeIssuer:
    """Discovery and a token endpoint; tokens live `lifetime` seconds."""

    def __init__(self, lifetime: float = 300, refresh_ok: bool = True) -> None:
        self.lifetime, self.refresh_ok = lifetime, refresh_ok
        self.grants: list[dict[str, str]] = []
        self.numbers = itertools.count(1)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json={"token_endpoint": ENDPOINT})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.grants.append(form)
        if form.get("password") == "wrong":
            return httpx.Response(401, json={"error": "invalid_grant"})
        if form["grant_type"] == "refresh_token" and not self.refresh_ok:
            return httpx.Response(400, json={"error": "invalid_grant"})
        number = next(self.numbers)
        body = {"access_token": f"access-{number}", "expires_in": self.lifetime}
        if form["grant_type"] != "client_credentials":
            body |= {"refresh_token": f"refresh-{number}", "refresh_expires_in": 1800}
        return httpx.Response(200, content=json.dumps(body))

    def kinds(self) -> list[str]:
        return [grant["grant_type"] for grant in self.grants]


PERSON = Credential.person("sim-ost-1", "s3cret-password")
ADAPTER = Credential.adapter("adapter-phone", "client-s3cret")


async def test_many_calls_at_once_sign_in_once_and_share_the_token() -> None:
    issuer = FakeIssuer()
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer)) as http:
        tokens = TokenSource(ISSUER, http)
        got = await asyncio.gather(*(tokens.headers(ADAPTER) for _ in range(20)))
        person = await tokens.headers(PERSON)
    assert {h["Authorization"] for h in got} == {"Bearer access-1"}
    assert person == {"Authorization": "Bearer access-2"}
    assert issuer.kinds() == ["client_credentials", "password"]
    assert issuer.grants[0]["client_id"] == "adapter-phone"
    assert issuer.grants[1]["username"] == "sim-ost-1"


async def test_a_token_about_to_expire_is_renewed_by_its_refresh_token() -> None:
    issuer = FakeIssuer(lifetime=20)  # within the 30 s margin: renewed on every use
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer)) as http:
        tokens = TokenSource(ISSUER, http)
        first = await tokens.headers(PERSON)
        second = await tokens.headers(PERSON)
    assert first != second
    assert issuer.kinds() == ["password", "refresh_token"]
    assert issuer.grants[1]["refresh_token"] == "refresh-1"
    assert "password" not in issuer.grants[1], "a renewal sends no password"


async def test_a_refused_refresh_signs_in_again() -> None:
    issuer = FakeIssuer(lifetime=20, refresh_ok=False)
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer)) as http:
        tokens = TokenSource(ISSUER, http)
        await tokens.headers(PERSON)
        renewed = await tokens.headers(PERSON)
    assert renewed == {"Authorization": "Bearer access-2"}
    assert issuer.kinds() == ["password", "refresh_token", "password"]


async def test_a_forgotten_token_is_fetched_afresh() -> None:
    issuer = FakeIssuer()
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer)) as http:
        tokens = TokenSource(ISSUER, http)
        await tokens.signed_in(ADAPTER).headers()
        tokens.signed_in(ADAPTER).forget()  # a service answered 401
        again = await tokens.signed_in(ADAPTER).headers()
    assert again == {"Authorization": "Bearer access-2"}


async def test_a_refused_sign_in_names_who_and_why_but_no_secret() -> None:
    wrong = Credential.person("sim-ost-2", "wrong")
    async with httpx.AsyncClient(transport=httpx.MockTransport(FakeIssuer())) as http:
        with pytest.raises(SignInRefused) as refused:
            await TokenSource(ISSUER, http).headers(wrong)
    assert "sim-ost-2" in str(refused.value)
    assert "invalid_grant" in str(refused.value)
    assert "wrong" not in str(refused.value).replace("sim-ost-2", "")
    assert "s3cret" not in repr(PERSON), "a credential's form is not in its repr"


def test_the_blocking_source_keeps_its_token(monkeypatch: pytest.MonkeyPatch) -> None:
    issuer = FakeIssuer()
    original = httpx.AsyncClient.__init__

    def with_fake_transport(self: httpx.AsyncClient, **kwargs: object) -> None:
        original(self, transport=httpx.MockTransport(issuer), **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.AsyncClient, "__init__", with_fake_transport)
    reader = BlockingTokenSource(ISSUER, PERSON)
    assert reader.headers() == reader.headers() == {"Authorization": "Bearer access-1"}
    assert issuer.kinds() == ["password"]
