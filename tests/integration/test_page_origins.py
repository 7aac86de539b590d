"""CORS for the platform's own pages (PKC_PAGE_ORIGINS): the supervisor board, served by
queueing, reads reporting's service levels and notify's alerts from the browser with the
person's token. A page from a configured origin may; any other site's page may not; with the
setting unset (production's default) no service answers a browser's cross-origin question at
all.

The apps are built with their real settings and middleware and no lifespan (nothing connects
to Kafka): a preflight is answered before any route runs."""

import importlib
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from services.shared.settings import ServiceSettings

BOARD = "http://127.0.0.1:8003"  # where `pkc run` serves the board
ELSEWHERE = "https://evil.example"
# What the board asks of each: reporting's stream, notify's list and its acknowledgement.
ASKED = {
    "reporting": [("GET", "/sla/stream"), ("GET", "/sla")],
    "notify": [("GET", "/alerts"), ("POST", "/alerts/0b9a1f64-54d4-4a43-9f0e-3f2f6a3c7d10/ack")],
}
SETTINGS: dict[str, type[ServiceSettings]] = {
    "reporting": ReportingSettings,
    "notify": NotifySettings,
}


def app_of(service: str, state: Path, page_origins: str | None) -> TestClient:
    kind = SETTINGS[service]
    settings = kind(state_dir=state)
    if page_origins is not None:
        settings = kind(state_dir=state, page_origins=page_origins)
    create_app = importlib.import_module(f"services.{service}.app").create_app
    app: FastAPI = create_app(settings)
    return TestClient(app, raise_server_exceptions=False)


def preflight(
    client: TestClient, method: str, path: str, origin: str, header: str = "authorization"
) -> httpx.Response:
    answer: httpx.Response = client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": header,
        },
    )
    return answer


@pytest.mark.parametrize("service", sorted(ASKED))
def test_the_boards_origin_may_ask_with_a_token_and_no_other_site_may(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PKC_PAGE_ORIGINS", raising=False)
    client = app_of(service, tmp_path, f"{BOARD}, http://localhost:8003")
    for method, path in ASKED[service]:
        allowed = preflight(client, method, path, BOARD)
        assert allowed.status_code == 200, (path, allowed.text)
        assert allowed.headers["access-control-allow-origin"] == BOARD
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        assert method in allowed.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in allowed.headers, "no cookies: a token"

        refused = preflight(client, method, path, ELSEWHERE)
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers

    # Only what the board does: no other method, no other header.
    assert preflight(client, "DELETE", ASKED[service][0][1], BOARD).status_code == 400
    assert preflight(client, "GET", ASKED[service][0][1], BOARD, "x-other").status_code == 400
    # The answer itself carries the origin for the board, nothing for another site.
    health = client.get("/healthz", headers={"Origin": BOARD})
    assert health.headers["access-control-allow-origin"] == BOARD
    other = client.get("/healthz", headers={"Origin": ELSEWHERE})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("service", sorted(ASKED))
def test_without_the_setting_no_service_speaks_cors(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PKC_PAGE_ORIGINS", raising=False)
    client = app_of(service, tmp_path, None)
    method, path = ASKED[service][0]
    asked = preflight(client, method, path, BOARD)
    assert asked.status_code == 405, "an OPTIONS no route takes"
    assert not [h for h in asked.headers if h.startswith("access-control-")]
    health = client.get("/healthz", headers={"Origin": BOARD})
    assert health.status_code == 200
    assert not [h for h in health.headers if h.startswith("access-control-")]


def test_the_setting_takes_origins_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKC_PAGE_ORIGINS", "https://board.pkc.example, http://127.0.0.1:8003/")
    assert ReportingSettings().page_origin_list() == [
        "https://board.pkc.example",
        "http://127.0.0.1:8003",
    ]
    for wrong in ("*", "https://board.pkc.example/board", "board.pkc.example"):
        monkeypatch.setenv("PKC_PAGE_ORIGINS", wrong)
        with pytest.raises(ValueError, match="PKC_PAGE_ORIGINS"):
            NotifySettings()
