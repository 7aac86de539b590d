"""People and their roles in the local realm, through Keycloak's admin REST API: what
`pkc users add|list`, `make run`'s simulated operators and the tests use.

A person has one role and one region (a region name, or `national`); Keycloak keeps the region
as the user attribute the realm's `region` mapper puts into every token."""

from dataclasses import dataclass
from typing import Any

import httpx

from pkc.localoidc.realm import ADMIN_USER, REALM
from schemas import Region
from services.shared.identity import NATIONAL, Role

REGIONS = frozenset({NATIONAL, *(r.value for r in Region)})


class UserError(ValueError):
    """A refused user: the message names what is wrong, never a password."""


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    region: str


def check(username: str, role: str, region: str) -> Person:
    if role not in Role.__members__.values() or role == Role.ADAPTER:
        people_roles = ", ".join(r.value for r in Role if r != Role.ADAPTER)
        raise UserError(f"a person's role is one of {people_roles} (adapters are clients)")
    if region not in REGIONS:
        raise UserError(f"unknown region {region!r}; one of {', '.join(sorted(REGIONS))}")
    if not 3 <= len(username) <= 64 or not all(c.isalnum() or c in "-._" for c in username):
        raise UserError("a user name is 3-64 letters, digits, '-', '.' or '_'")
    return Person(username.lower(), role, region)


class RealmAdmin:
    """An admin session on the local Keycloak (master realm's admin, the realm `pkc`)."""

    def __init__(self, base_url: str, admin_password: str, timeout: float = 15.0):
        self._http = httpx.Client(base_url=base_url, timeout=timeout)
        answer = self._http.post(
            "/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": ADMIN_USER,
                "password": admin_password,
            },
        )
        answer.raise_for_status()
        self._http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def __enter__(self) -> "RealmAdmin":
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def add(self, person: Person, password: str) -> bool:
        """Creates the person with their role and region; False if the user name exists."""
        created = self._http.post(
            f"/admin/realms/{REALM}/users",
            json={
                "username": person.username,
                "enabled": True,
                "firstName": person.username,
                "lastName": person.region,
                "email": f"{person.username}@pkc.invalid",
                "emailVerified": True,
                "attributes": {"region": [person.region]},
                "credentials": [{"type": "password", "value": password, "temporary": False}],
            },
        )
        if created.status_code == 409:
            return False
        created.raise_for_status()
        user_id = created.headers["Location"].rsplit("/", 1)[-1]
        role = self._http.get(f"/admin/realms/{REALM}/roles/{person.role}")
        role.raise_for_status()
        granted = self._http.post(
            f"/admin/realms/{REALM}/users/{user_id}/role-mappings/realm", json=[role.json()]
        )
        granted.raise_for_status()
        return True

    def people(self) -> list[Person]:
        """Every person in the realm with their role and region (service accounts left out)."""
        answer = self._http.get(f"/admin/realms/{REALM}/users", params={"max": 10_000})
        answer.raise_for_status()
        found = []
        for user in answer.json():
            if user["username"].startswith("service-account-"):
                continue
            found.append(Person(user["username"], self._role_of(user), _region_of(user)))
        return sorted(found, key=lambda p: p.username)

    def _role_of(self, user: dict[str, Any]) -> str:
        answer = self._http.get(f"/admin/realms/{REALM}/users/{user['id']}/role-mappings/realm")
        answer.raise_for_status()
        ours = sorted(r["name"] for r in answer.json() if r["name"] in Role.__members__.values())
        return ",".join(ours) or "-"


def _region_of(user: dict[str, Any]) -> str:
    regions: list[str] = user.get("attributes", {}).get("region", [])
    return regions[0] if regions else "-"
