"""The local OIDC provider (Keycloak from Maven Central) issues tokens a service can verify the
standard way: discovery, the issuer's JWKS, signature, `iss`, `aud`, `exp`; roles and region are
claims and the person is `sub`. Keycloak is the test session's (tests/conftest.py)."""

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from typer.testing import CliRunner

from pkc.cli import app
from pkc.localoidc import LocalOidc, OidcSetupError
from pkc.localoidc.realm import (
    AUDIENCE,
    load_or_create_secrets,
    people,
    realm_file,
    realm_representation,
    service_clients,
)
from pkc.localoidc.tokens import client_credentials_token, discovery, password_token
from tests.jvm_threads import jit_compilers

pytestmark = pytest.mark.oidc

PEOPLE = {
    # user name: (role, region)
    "operator-stockholm-1": ("operator", "stockholm"),
    "supervisor-national": ("supervisor", "national"),
    "oncall-vast": ("oncall", "vast"),
    "auditor": ("auditor", "national"),
}


def test_missing_java_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    provider = LocalOidc(tmp_path / "state", tmp_path / "cache", port=19998)
    with pytest.raises(OidcSetupError, match="`java` was not found on PATH"):
        provider.start()


def test_the_realm_commits_no_secret_and_each_instance_draws_its_own(tmp_path: Path) -> None:
    committed = realm_file()
    assert "credentials" not in str(committed)
    assert all("secret" not in client for client in committed["clients"])
    first = load_or_create_secrets(tmp_path / "a" / "dev-secrets.json", committed)
    assert (tmp_path / "a" / "dev-secrets.json").stat().st_mode & 0o777 == 0o600
    assert load_or_create_secrets(tmp_path / "a" / "dev-secrets.json", committed) == first
    second = load_or_create_secrets(tmp_path / "b" / "dev-secrets.json", committed)
    assert set(first.passwords) == set(PEOPLE) == set(people(committed))
    assert first.passwords != second.passwords
    assert first.client_secrets != second.client_secrets
    imported = realm_representation(first)
    users = {user["username"]: user for user in imported["users"]}
    for name in PEOPLE:
        assert users[name]["credentials"][0]["value"] == first.passwords[name]
    for client_id in service_clients(committed):
        assert users[f"service-account-{client_id}"]["realmRoles"] == ["adapter"]


@pytest.fixture(scope="module")
def state(oidc: LocalOidc) -> Path:
    """The state folder the session's provider keeps its database and secrets in."""
    return oidc.home.parent


def verified_claims(issuer: str, token: str, audience: str = AUDIENCE) -> dict[str, Any]:
    """What a service will do: find the keys by discovery, check signature and claims."""
    config = discovery(issuer)
    assert config["issuer"] == issuer
    signing_key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        signing_key.key,
        algorithms=["RS256"],  # fixed by us, never taken from the token's header
        audience=audience,
        issuer=issuer,
        leeway=30,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    return claims


def test_an_adapter_signs_in_as_its_own_service_account(oidc: LocalOidc) -> None:
    claims = verified_claims(oidc.issuer, oidc.client_token("adapter-phone"))
    assert claims["roles"] == ["adapter"]
    assert claims["azp"] == "adapter-phone"
    assert claims["exp"] > time.time()
    other = verified_claims(oidc.issuer, oidc.client_token("adapter-mail"))
    assert other["sub"] != claims["sub"], "each adapter is its own principal"


@pytest.mark.parametrize("username", sorted(PEOPLE))
def test_a_person_signs_in_with_role_and_region_as_claims(oidc: LocalOidc, username: str) -> None:
    claims = verified_claims(oidc.issuer, oidc.user_token(username))
    role, region = PEOPLE[username]
    assert claims["roles"] == [role]
    assert claims["region"] == region
    assert claims["preferred_username"] == username
    assert claims["sub"], "the person is the token's subject"


def test_a_token_for_another_audience_or_altered_is_refused(oidc: LocalOidc) -> None:
    token = oidc.user_token("operator-stockholm-1")
    with pytest.raises(jwt.InvalidAudienceError):
        verified_claims(oidc.issuer, token, audience="some-other-api")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-6]}AAAAAA"
    with pytest.raises(jwt.InvalidSignatureError):
        verified_claims(oidc.issuer, forged)


def test_a_wrong_password_or_client_secret_gets_no_token(oidc: LocalOidc) -> None:
    with pytest.raises(PermissionError, match="invalid_grant"):
        password_token(oidc.issuer, "pkc-ui", "auditor", "not-the-password")
    with pytest.raises(PermissionError, match=r"unauthorized_client|invalid_client"):
        client_credentials_token(oidc.issuer, "adapter-e-service", "not-the-secret")


def test_the_cli_reports_the_running_provider(oidc: LocalOidc, state: Path) -> None:
    env = {"PKC_STATE_DIR": str(state)}
    shown = CliRunner().invoke(app, ["oidc", "status", "--port", str(oidc.port)], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"on {oidc.issuer}: answering" in shown.output
    started = CliRunner().invoke(app, ["oidc", "start", "--port", str(oidc.port)], env=env)
    assert started.exit_code == 0, started.output
    assert "ready in 0.0 s" in started.output, "start on a running provider starts nothing"
    printed = CliRunner().invoke(
        app, ["oidc", "token", "--client", "adapter-mail", "--port", str(oidc.port)], env=env
    )
    assert printed.exit_code == 0, printed.output
    assert verified_claims(oidc.issuer, printed.output.strip())["azp"] == "adapter-mail"


def test_the_local_provider_compiles_with_the_jits_first_tier_alone(oidc: LocalOidc) -> None:
    """It lives for a test run or a `pkc run`: C2 spent its start compiling (pkc/daemon.py)."""
    pid = oidc.status().pid
    assert pid is not None
    assert jit_compilers(pid) == {"C1 CompilerThre"}


def test_restarted_provider_keeps_its_realm_and_users(oidc: LocalOidc) -> None:
    """Last in the module: stops and starts the shared provider (a warm start)."""
    assert oidc.start() == oidc.issuer
    assert oidc.started_in == 0.0, "starting a running provider is a no-op"
    assert oidc.stop()
    assert oidc.status().pid is None
    assert not oidc.stop(), "stopping twice says nothing was running"
    oidc.start()
    assert oidc.status().answering
    claims = verified_claims(oidc.issuer, oidc.user_token("oncall-vast"))
    assert claims["roles"] == ["oncall"]
