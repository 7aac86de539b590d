"""Every route of every service, read from its own OpenAPI: without a token 401, with a verified
token of a role the route does not admit 403, with one it admits neither. The public routes are
listed here, explicitly; a route that is neither guarded nor listed fails the test the day it
is added. Tokens are real, from the session's Keycloak.

The apps are built with their real settings and no lifespan (nothing connects to Kafka):
credentials are checked before any handler runs, and whatever a handler then does without its
broker (a 404, a 422, a 500) is not this test's business, only that it was let in."""

import importlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from pkc.serve import settings_class
from schemas.access import SERVICES
from services.shared.http import roles_of
from services.shared.identity import Role
from tests.identities import Headers, Identities

pytestmark = pytest.mark.oidc

# Public on purpose, and nothing else: health probes; notify's acknowledgement page and form
# (the signed one-time link is the credential); the dashboard's page shell and the sign-in
# configuration it needs before anyone has a token (no data in either; `/` only redirects to
# the page and is left out of the OpenAPI); the citizen's case page and the routes it calls
# with the case's secret (docs/cases.md).
HEALTH = {("GET", "/healthz"), ("GET", "/readyz")}
PUBLIC: dict[str, set[tuple[str, str]]] = {
    "intake": HEALTH,
    "triage": HEALTH,
    "queueing": HEALTH
    | {("GET", "/desk"), ("GET", "/desk/config"), ("GET", "/board"), ("GET", "/board/config")}
    # The citizen's case page and routes: the case's secret (a header) is the credential.
    | {("GET", "/case"), ("GET", "/cases/{reference}"), ("POST", "/cases/{reference}/information")}
    | {("GET", "/queues/wait")},  # estimated waits for polisen.se: counts, no personal data
    "reporting": HEALTH | {("GET", "/dashboard"), ("GET", "/dashboard/config")},
    "notify": HEALTH | {("GET", "/ack"), ("POST", "/ack")},
}


def build(service: str, state: Path, issuer: str) -> FastAPI:
    settings = settings_class(service)
    create_app = importlib.import_module(f"services.{service}.app").create_app
    app: FastAPI = create_app(settings(state_dir=state, oidc_issuer=issuer))
    return app


def routes(app: FastAPI) -> Iterator[tuple[str, str, RouteContext]]:
    """Every (method, path) the service's OpenAPI documents, with its route."""
    documented = app.openapi()["paths"]
    for route in iter_route_contexts(app.routes):
        if route.path in documented:
            for method in sorted(route.methods or ()):
                if method.lower() in documented[route.path]:
                    yield method, str(route.path), route


def concrete(path: str) -> str:
    return re.sub(r"\{region\}", "stockholm", re.sub(r"\{[^}]+_id\}", str(uuid.uuid4()), path))


def sign_in_again(client: TestClient, operator: Headers) -> None:
    """Operator routes need an open session, as in real use."""
    signed_in = client.post("/operators/login", json={"takeover": True}, headers=operator)
    assert signed_in.status_code == 200, signed_in.text


@pytest.fixture(scope="module")
def callers(identities: Identities) -> dict[Role, Headers]:
    """One signed-in caller per role (national where a region matters, so that a refusal below
    is the role's and not the region's)."""
    return {
        Role.ADAPTER: identities.adapter("adapter-phone"),
        Role.OPERATOR: identities.person("access-operator", "operator", "stockholm"),
        Role.SUPERVISOR: identities.person("supervisor-national"),
        Role.ONCALL: identities.person("access-oncall", "oncall", "national"),
        Role.AUDITOR: identities.person("auditor"),
    }


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_admits_exactly_its_roles(
    service: str, tmp_path: Path, identities: Identities, callers: dict[Role, Headers]
) -> None:
    app = build(service, tmp_path, identities.issuer)
    client = TestClient(app, raise_server_exceptions=False)
    seen = set()
    for method, path, route in routes(app):
        seen.add((method, path))
        roles = roles_of(route)
        url = concrete(path)
        if (method, path) in PUBLIC[service]:
            assert roles is None, f"{method} {path} is listed public but asks for a role"
            assert client.request(method, url).status_code != 401, f"{method} {path}"
            continue
        assert roles, f"{service}: {method} {path} is neither guarded nor listed as public"
        anonymous = client.request(method, url, json={})
        assert anonymous.status_code == 401, f"{method} {path} without a token"
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        for role, headers in callers.items():
            if role in roles and path.endswith("/stream"):
                continue  # it would stream forever; streams are read in their own tests
            if service == "queueing" and role == Role.OPERATOR:
                sign_in_again(client, headers)  # an earlier route may have signed them out
            answer = client.request(method, url, json={}, headers=headers)
            if role in roles:
                assert answer.status_code not in (401, 403), (method, path, role, answer.text)
            else:
                assert answer.status_code == 403, (method, path, role, answer.text)
                assert "needs the role" in answer.json()["detail"]
    assert PUBLIC[service] <= seen, "a route listed public no longer exists"


@pytest.mark.parametrize("service", SERVICES)
def test_a_forged_or_foreign_token_is_refused_with_a_reason_naming_no_secret(
    service: str, tmp_path: Path, identities: Identities, callers: dict[Role, Headers]
) -> None:
    app = build(service, tmp_path, identities.issuer)
    client = TestClient(app, raise_server_exceptions=False)
    token = callers[Role.SUPERVISOR]["Authorization"].split()[1]
    header, payload, signature = token.split(".")
    forged = {"Authorization": f"Bearer {header}.{payload}.{signature[::-1]}"}
    for method, path, route in routes(app):
        if roles_of(route) is None:
            continue
        answer = client.request(method, concrete(path), json={}, headers=forged)
        assert answer.status_code == 401
        assert answer.json()["detail"] in (
            "the token's signature does not verify",
            "the token is not a well-formed JWT",
        )
        assert signature[:20] not in answer.text
        assert payload not in answer.text


def access_table(issuer: str, state: Path) -> str:
    """docs/security.md's table of roles by route, as the services' own routes say."""
    lines = ["| Service | Route | Who |", "|---|---|---|"]
    for service in SERVICES:
        app = build(service, state / service, issuer)
        for method, path, route in sorted(routes(app), key=lambda r: (r[1], r[0])):
            roles = roles_of(route)
            who = "public" if roles is None else ", ".join(sorted(role.value for role in roles))
            lines.append(f"| {service} | `{method} {path}` | {who} |")
    return "\n".join(lines)


def test_docs_list_every_route_with_its_roles(identities: Identities, tmp_path: Path) -> None:
    """The table in docs/security.md is the services' own (PKC_UPDATE_DOCS=1 rewrites it)."""
    docs = Path(__file__).parents[2] / "docs" / "security.md"
    text = docs.read_text()
    start, end = "<!-- routes:start -->\n", "\n<!-- routes:end -->"
    table = access_table(identities.issuer, tmp_path)
    begin, finish = text.index(start) + len(start), text.index(end)
    documented = text[begin:finish]
    if documented != table and os.environ.get("PKC_UPDATE_DOCS") == "1":
        docs.write_text(text[:begin] + table + text[finish:])
        documented = table
    assert documented == table, "docs/security.md is out of date: run with PKC_UPDATE_DOCS=1"
