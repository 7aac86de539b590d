"""Signing in as people and adapters of the test session's real Keycloak (tests/conftest.py
starts it once): tokens are fetched the way a UI or an adapter fetches them, and kept until a
minute before they expire."""

import time
from dataclasses import dataclass, field

import jwt

from pkc.localoidc import LocalOidc

Headers = dict[str, str]


@dataclass
class Identities:
    provider: LocalOidc
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    def person(self, username: str, role: str = "operator", region: str = "stockholm") -> Headers:
        """The bearer header of a person, created in the realm with `role` and `region` on
        first use (a user name keeps the role and region it was created with)."""
        key = f"user:{username}"
        if key not in self._tokens or self._expiring(self._tokens[key]):
            if username not in self.provider.secrets().passwords:
                self.provider.add_person(username, role, region)
            self._tokens[key] = self.provider.user_token(username)
        return bearer(self._tokens[key])

    def adapter(self, client: str = "adapter-phone") -> Headers:
        """The bearer header of a channel adapter's service account."""
        key = f"client:{client}"
        if key not in self._tokens or self._expiring(self._tokens[key]):
            self._tokens[key] = self.provider.client_token(client)
        return bearer(self._tokens[key])

    def subject(self, headers: Headers) -> str:
        """The person's `sub`: what the services record as who did it."""
        claims = jwt.decode(
            headers["Authorization"].split()[1], options={"verify_signature": False}
        )
        return str(claims["sub"])

    @staticmethod
    def _expiring(token: str) -> bool:
        claims = jwt.decode(token, options={"verify_signature": False})
        return float(claims["exp"]) - time.time() < 60


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}
