"""Reporting's routes with real tokens from the session's Keycloak: who may read what, what is
public on purpose, and the live stream's caps (per person, in total, freed on disconnect)."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.reporting.bootstrap import bootstrap, http_app
from services.reporting.dashboard import PUBLIC_ROUTES
from services.reporting.settings import ReportingSettings
from tests.identities import Headers, Identities
from tests.integration.routes_client import routes_client

MONTH = {"month": "2026-05"}


@pytest.fixture
def client(identities: Identities, tmp_path: Path) -> Iterator[TestClient]:
    settings = ReportingSettings(
        state_dir=tmp_path,
        oidc_issuer=identities.issuer,
        live_interval_seconds=0.05,
        live_max_streams_per_person=2,
        live_max_streams=3,
    )
    service = bootstrap(settings)
    app = http_app(service)
    with routes_client(app) as test_client:
        yield test_client
    service.monthly_store.engine.dispose()


def status(client: TestClient, path: str, headers: Headers | None = None) -> int:
    params = MONTH if path.startswith("/reports") else None
    code: int = client.get(path, params=params, headers=headers).status_code
    return code


def test_the_service_levels_are_for_the_centres_people_and_the_monthly_report_for_leads(
    client: TestClient, identities: Identities
) -> None:
    operator = identities.person("operator-stockholm-1")
    oncall = identities.person("oncall-vast")
    supervisor = identities.person("supervisor-national")
    auditor = identities.person("auditor")
    adapter = identities.adapter("adapter-phone")
    for path in ("/sla", "/sla/nord"):
        assert status(client, path) == 401
        assert status(client, path, adapter) == 403
        for person in (operator, oncall, supervisor, auditor):
            assert status(client, path, person) == 200
    for path in ("/reports/monthly", "/reports/monthly/chart.svg"):
        assert status(client, path) == 401
        for refused in (adapter, operator, oncall):
            assert status(client, path, refused) == 403
        for allowed in (supervisor, auditor):
            assert status(client, path, allowed) == 200
    with client.stream("GET", "/sla/stream", headers=adapter) as refused:
        assert refused.status_code == 403
    with client.stream("GET", "/sla/stream") as anonymous:
        assert anonymous.status_code == 401


def test_only_the_dashboards_shell_and_where_to_sign_in_are_public(
    client: TestClient, identities: Identities
) -> None:
    shell = {("GET", "/"), ("GET", "/dashboard"), ("GET", "/dashboard/config")}
    assert shell | {("GET", "/pages/signin.js")} == PUBLIC_ROUTES
    script = client.get("/pages/signin.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "export async function follow" in script.text
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Mål 85 %" in page.text
    assert 'data-region="mitt"' not in page.text, "the shell carries no figures"
    assert client.get("/dashboard/config").json() == {
        "issuer": identities.issuer,
        "client_id": "pkc-ui",
    }
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 307
    assert home.headers["location"] == "dashboard"


def first_event(client: TestClient, headers: Headers) -> tuple[int, str]:
    with client.stream("GET", "/sla/stream", headers=headers) as stream:
        if stream.status_code != 200:
            stream.read()
            return stream.status_code, stream.json()["detail"]
        return 200, next(stream.iter_lines())


def test_the_live_stream_is_capped_per_person_and_in_total_and_freed_on_disconnect(
    client: TestClient, identities: Identities
) -> None:
    anna = identities.person("stream-anna", "supervisor", "mitt")
    bo = identities.person("stream-bo", "operator", "mitt")
    cecilia = identities.person("stream-cecilia", "auditor", "mitt")
    with contextlib.ExitStack() as open_streams:
        for _ in range(2):  # anna's two: her cap
            stream = open_streams.enter_context(client.stream("GET", "/sla/stream", headers=anna))
            assert stream.status_code == 200
            assert next(stream.iter_lines()) == "event: sla"
        with client.stream("GET", "/sla/stream", headers=anna) as third:
            assert third.status_code == 429
            assert third.headers["retry-after"].isdigit()
            third.read()
            assert "2 live streams open, the most one person may have" in third.json()["detail"]
        # Bo's stream is the server's third and last.
        assert first_event(client, bo) == (200, "event: sla")  # opened and closed again
        bo_stream = open_streams.enter_context(client.stream("GET", "/sla/stream", headers=bo))
        assert bo_stream.status_code == 200
        code, reason = first_event(client, cecilia)
        assert code == 429
        assert "maximum of 3 live streams" in reason
    # Every stream closed: every slot is free again.
    assert first_event(client, cecilia) == (200, "event: sla")
    assert first_event(client, anna) == (200, "event: sla")
