"""The development realm `pkc` as code (realm/*.json), its per-machine secrets, and its import.

Passwords and client secrets are never committed: each local provider draws its own on first
start and keeps them in its state folder (mode 0600), where tests and `make run` read them."""

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

REALM = "pkc"
AUDIENCE = "pkc-platform"
USER_CLIENT = "pkc-ui"  # the public client people sign in with (direct grants: this realm only)
ADMIN_USER = "pkc-admin"
_FILES = Path(__file__).with_name("realm")

Json = dict[str, Any]


@dataclass(frozen=True)
class DevSecrets:
    admin_password: str
    passwords: dict[str, str]  # person's user name -> password
    client_secrets: dict[str, str]  # service-account client id -> secret


def realm_file() -> Json:
    loaded: Json = json.loads((_FILES / "pkc-realm.json").read_text())
    return loaded


def people(realm: Json) -> list[str]:
    return [u["username"] for u in realm["users"] if "serviceAccountClientId" not in u]


def service_clients(realm: Json) -> list[str]:
    return [c["clientId"] for c in realm["clients"] if c.get("serviceAccountsEnabled")]


def load_or_create_secrets(path: Path, realm: Json) -> DevSecrets:
    """This instance's secrets; drawn once, so a restarted provider keeps its users' passwords."""
    if path.exists():
        return DevSecrets(**json.loads(path.read_text()))
    drawn = DevSecrets(
        admin_password=secrets.token_urlsafe(24),
        passwords={name: secrets.token_urlsafe(18) for name in people(realm)},
        client_secrets={client: secrets.token_urlsafe(32) for client in service_clients(realm)},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(asdict(drawn), out, indent=2)
    return drawn


def remember_password(path: Path, username: str, password: str) -> None:
    """Adds a person created after the realm's import to this instance's secrets file."""
    drawn = json.loads(path.read_text())
    drawn["passwords"][username] = password
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(drawn, out, indent=2)
    temporary.replace(path)


def realm_representation(dev_secrets: DevSecrets) -> Json:
    """The realm file with this instance's credentials and the user profile (which declares the
    `region` attribute: Keycloak 26 drops attributes its user profile does not name)."""
    realm = realm_file()
    for user in realm["users"]:
        password = dev_secrets.passwords.get(user["username"])
        if password is not None:
            user["credentials"] = [{"type": "password", "value": password, "temporary": False}]
    for client in realm["clients"]:
        secret = dev_secrets.client_secrets.get(client["clientId"])
        if secret is not None:
            client["secret"] = secret
    profile = (_FILES / "user-profile.json").read_text()
    realm["components"] = {
        "org.keycloak.userprofile.UserProfileProvider": [
            {
                "providerId": "declarative-user-profile",
                "config": {"kc.user.profile.config": [profile]},
            }
        ]
    }
    return realm


def import_realm(base_url: str, dev_secrets: DevSecrets, timeout: float = 30.0) -> bool:
    """Creates the realm through the admin REST API unless it exists; True if it was created."""
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        if client.get(f"/realms/{REALM}").status_code == 200:
            return False
        answer = client.post(
            "/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": ADMIN_USER,
                "password": dev_secrets.admin_password,
            },
        )
        answer.raise_for_status()
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        created = client.post(
            "/admin/realms", json=realm_representation(dev_secrets), headers=headers
        )
        created.raise_for_status()
        return True
