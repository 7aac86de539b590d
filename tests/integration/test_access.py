"""Every HTTP endpoint that changes state refuses missing and wrong credentials.

The routes are read from each service's own app, so a new endpoint is covered the day it is
added. Each app is built with its real settings; no lifespan runs, since credentials are
checked before any handler touches Kafka.
"""

import importlib
import re
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Reads that show staff's names and addresses: as closed as the changes.
PERSONAL_READS = {("notify", "/oncall"), ("notify", "/alerts"), ("notify", "/alerts/log")}
# Endpoints whose credential is something other than a bearer token, tested elsewhere.
OTHER_CREDENTIALS: set[tuple[str, str]] = set()


SETTINGS = {
    "intake": "IntakeSettings",
    "triage": "TriageSettings",
    "queueing": "QueueingSettings",
    "reporting": "ReportingSettings",
    "notify": "NotifySettings",
}


def _app(service: str, state: Path) -> FastAPI:
    settings = getattr(importlib.import_module(f"services.{service}.settings"), SETTINGS[service])
    create_app = importlib.import_module(f"services.{service}.app").create_app
    app: FastAPI = create_app(settings(state_dir=state))
    return app


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


@pytest.mark.parametrize("service", ["intake", "triage", "queueing", "reporting", "notify"])
def test_state_changing_endpoints_refuse_missing_and_wrong_credentials(
    service: str, tmp_path: Path
) -> None:
    app = _app(service, tmp_path)
    client = TestClient(app)
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        guarded = STATE_CHANGING | ({"GET"} if (service, path) in PERSONAL_READS else set())
        for method in sorted(m.upper() for m in operations if m.upper() in guarded):
            if (method, path) in OTHER_CREDENTIALS:
                continue
            url = _concrete(path)
            missing = client.request(method, url, json={})
            wrong = client.request(
                method, url, json={}, headers={"Authorization": "Bearer not-a-real-token"}
            )
            assert missing.status_code == 401, f"{method} {path}: {missing.status_code}"
            assert wrong.status_code in (401, 403), f"{method} {path}: {wrong.status_code}"
            checked += 1
    if service in ("intake", "queueing", "notify"):
        assert checked > 0, "the service's state-changing endpoints were found"
