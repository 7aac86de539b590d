"""The services' one verification path (services/shared/identity.py) against the session's real
Keycloak: what is let in, what is refused and why, and that the reason names no secret."""

import asyncio
import base64
import json
from datetime import datetime, tzinfo

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pkc.localoidc.realm import AUDIENCE
from schemas import Region
from services.shared.identity import (
    IdentityUnavailable,
    NotAllowed,
    Principal,
    Role,
    TokenVerifier,
    Unauthenticated,
)
from tests.identities import Identities

pytestmark = pytest.mark.oidc


def verify(verifier: TokenVerifier, headers: dict[str, str] | str) -> Principal:
    token = headers if isinstance(headers, str) else headers["Authorization"].split()[1]
    return asyncio.run(verifier.verify(token))


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as refused:
        verify(verifier, token)
    reason = str(refused.value)
    assert token not in reason
    assert token[-20:] not in reason
    return reason


def _segment(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_person_is_their_subject_with_role_and_region(identities: Identities) -> None:
    verifier = TokenVerifier(identities.issuer, AUDIENCE)
    headers = identities.person("verify-op-mitt", "operator", "mitt")
    person = verify(verifier, headers)
    assert person.subject == identities.subject(headers)
    assert person.name == "verify-op-mitt"
    assert person.roles == {Role.OPERATOR}
    assert person.region == Region.MITT
    assert not person.national
    assert person.may_act_in(Region.MITT)
    assert not person.may_act_in(Region.SYD)
    with pytest.raises(NotAllowed, match="needs the role supervisor"):
        person.require(Role.SUPERVISOR)
    national = verify(verifier, identities.person("supervisor-national"))
    assert national.national
    assert national.may_act_in(Region.SYD)


def test_an_adapter_is_its_client(identities: Identities) -> None:
    verifier = TokenVerifier(identities.issuer, AUDIENCE)
    adapter = verify(verifier, identities.adapter("adapter-mail"))
    assert adapter.roles == {Role.ADAPTER}
    assert adapter.name == "adapter-mail"
    assert adapter.region is None
    assert not adapter.national


def test_wrong_audience_forged_signature_and_garbage_are_refused(
    identities: Identities,
) -> None:
    token = identities.person("operator-stockholm-1")["Authorization"].split()[1]
    other_audience = TokenVerifier(identities.issuer, "some-other-api")
    assert refusal(other_audience, token) == "the token is meant for another audience"
    verifier = TokenVerifier(identities.issuer, AUDIENCE)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-6]}AAAAAA"
    assert refusal(verifier, forged) == "the token's signature does not verify"
    claims = jwt.decode(token, options={"verify_signature": False})
    raised = _segment({**claims, "roles": ["supervisor"], "region": "national"})
    assert refusal(verifier, f"{header}.{raised}.{signature}") == (
        "the token's signature does not verify"
    )
    assert refusal(verifier, "not-a-jwt") == "the token is not a well-formed JWT"


def test_alg_none_hmac_and_unknown_keys_are_refused(identities: Identities) -> None:
    verifier = TokenVerifier(identities.issuer, AUDIENCE)
    token = identities.person("operator-stockholm-1")["Authorization"].split()[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    unsigned = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."
    assert "algorithm 'none' is not accepted" in refusal(verifier, unsigned)
    hmac_signed = jwt.encode(claims, "a-guessed-secret-of-32-bytes-length!", algorithm="HS256")
    assert "algorithm 'HS256' is not accepted" in refusal(verifier, hmac_signed)
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(token)["kid"]
    self_signed = jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": kid})
    assert refusal(verifier, self_signed) == "the token's signature does not verify"
    unknown_kid = jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": "mine"})
    assert refusal(verifier, unknown_kid) == (
        "the token is signed with a key the issuer does not publish"
    )


def test_an_expired_token_is_refused_past_the_leeway(
    identities: Identities, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = identities.person("operator-stockholm-1")["Authorization"].split()[1]
    exp = float(jwt.decode(token, options={"verify_signature": False})["exp"])

    class Later(datetime):
        """PyJWT's clock, moved to just past the token's expiry plus the leeway."""

        @classmethod
        def now(cls, tz: tzinfo | None = None) -> "Later":
            return cls.fromtimestamp(exp + 31, tz)

    verifier = TokenVerifier(identities.issuer, AUDIENCE, leeway_seconds=30)
    verify(verifier, token)  # valid now
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    assert refusal(TokenVerifier(identities.issuer, AUDIENCE, 30), token) == (
        "the token has expired"
    )


def test_without_an_issuer_or_with_it_down_nobody_is_let_in(identities: Identities) -> None:
    token = identities.person("operator-stockholm-1")["Authorization"].split()[1]
    with pytest.raises(IdentityUnavailable, match="PKC_OIDC_ISSUER"):
        verify(TokenVerifier(None, AUDIENCE), token)
    with pytest.raises(IdentityUnavailable, match="did not answer"):
        verify(TokenVerifier("http://127.0.0.1:9/realms/pkc", AUDIENCE), token)
