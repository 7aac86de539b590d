"""Obtaining access tokens from an OIDC issuer the standard way (for tests and local tools)."""

from typing import Any

import httpx


def discovery(issuer: str, timeout: float = 10.0) -> dict[str, Any]:
    """The issuer's OpenID Connect discovery document."""
    answer = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=timeout)
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


def _token(issuer: str, form: dict[str, str], timeout: float) -> str:
    endpoint = discovery(issuer, timeout)["token_endpoint"]
    answer = httpx.post(endpoint, data=form, timeout=timeout)
    if answer.status_code != 200:
        # The error body names the grant's problem (invalid_client, invalid_grant), never a secret.
        raise PermissionError(f"the issuer refused the token request: {answer.text[:300]}")
    token: str = answer.json()["access_token"]
    return token


def client_credentials_token(
    issuer: str, client_id: str, secret: str, timeout: float = 10.0
) -> str:
    """A service account's access token (an adapter signing in as itself)."""
    return _token(issuer, client_credentials_grant(client_id, secret), timeout)


def password_token(
    issuer: str, client_id: str, username: str, password: str, timeout: float = 10.0
) -> str:
    """A person's access token by the resource-owner password grant, which only the local
    development realm allows (people sign in through the browser everywhere else)."""
    return _token(issuer, password_grant(client_id, username, password), timeout)


def client_credentials_grant(client_id: str, secret: str) -> dict[str, str]:
    """The token request's form of a service account (the secret in it: never log it)."""
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def password_grant(client_id: str, username: str, password: str) -> dict[str, str]:
    """The token request's form of a person's password grant (never log it)."""
    return {
        "grant_type": "password",
        "client_id": client_id,
        "username": username,
        "password": password,
        "scope": "openid",
    }
