"""`pkc users add|list` on the session's running Keycloak: a person added from the command line
signs in with the role and region given, and the password is kept, not printed."""

import uuid

import jwt
import pytest
from typer.testing import CliRunner

from pkc.cli import app
from pkc.ports import free_port
from services.shared.identity import Role
from tests.identities import Identities


def _users(identities: Identities, *args: str) -> tuple[int, str]:
    provider = identities.provider
    env = {"PKC_STATE_DIR": str(provider.home.parent), "PKC_OIDC_ISSUER": ""}
    command = ["users", *args, "--port", str(provider.port)]
    result = CliRunner().invoke(app, command, env=env)
    return result.exit_code, result.output


def _new_name() -> str:
    return f"cli-{uuid.uuid4().hex[:8]}"


def test_an_added_person_signs_in_with_the_role_and_region_given(identities: Identities) -> None:
    name = _new_name()
    code, output = _users(identities, "add", "--role", "supervisor", "--region", "syd", name)
    assert code == 0, output
    password = identities.provider.secrets().passwords[name]
    assert password not in output
    assert "dev-secrets.json" in output
    claims = jwt.decode(identities.provider.user_token(name), options={"verify_signature": False})
    assert claims["preferred_username"] == name
    # Keycloak adds its default roles (offline_access, …); of the platform's, only this one.
    assert {role.value for role in Role} & set(claims["roles"]) == {"supervisor"}
    assert claims["region"] == "syd"

    code, listed = _users(identities, "list")
    assert code == 0, listed
    row = next(line for line in listed.splitlines() if name in line)
    assert "supervisor" in row
    assert "syd" in row


def test_the_password_is_printed_only_when_asked_for(identities: Identities) -> None:
    name = _new_name()
    command = ("add", "--role", "operator", "--region", "ost", "--show-password", name)
    code, output = _users(identities, *command)
    assert code == 0, output
    assert identities.provider.secrets().passwords[name] in output


@pytest.mark.parametrize(
    ("role", "region", "why"),
    [("admin", "ost", "role"), ("adapter", "ost", "role"), ("operator", "lappland", "region")],
)
def test_a_bad_role_or_region_is_refused(
    identities: Identities, role: str, region: str, why: str
) -> None:
    name = _new_name()
    code, output = _users(identities, "add", "--role", role, "--region", region, name)
    assert code == 2, output
    assert why in output
    assert name not in identities.provider.secrets().passwords


def test_a_taken_name_is_refused(identities: Identities) -> None:
    code, output = _users(identities, "add", "--role", "operator", "--region", "ost", "auditor")
    assert code == 1
    assert "taken" in output


def test_no_running_provider_is_a_clear_error(identities: Identities) -> None:
    provider = identities.provider
    env = {"PKC_STATE_DIR": str(provider.home.parent), "PKC_OIDC_ISSUER": ""}
    result = CliRunner().invoke(app, ["users", "list", "--port", str(free_port())], env=env)
    assert result.exit_code == 1
    assert "pkc oidc start" in result.output
