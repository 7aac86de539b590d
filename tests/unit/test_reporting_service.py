"""Reporting assembled by its composition root, as `pkc serve reporting` assembles it: the
service-level policy from PKC_SLA_* decides the breaches and is what the pages say."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from schemas import Answered, Channel, Event, NeedCategory, Region, SlaBreached
from services.reporting.bootstrap import bootstrap, http_app
from services.reporting.decisions import decide_step
from services.reporting.monthly.aggregation import effective
from services.reporting.service import ReportingService
from services.reporting.settings import ReportingSettings
from services.reporting.state import RegionMeta, RegionState
from services.reporting.window import DictBuckets
from services.shared.identity import Principal, Role

MORNING = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm
Build = Callable[[str | None], ReportingService]


@pytest.fixture
def build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Build]:
    built: list[ReportingService] = []

    def make(target: str | None) -> ReportingService:
        monkeypatch.setenv("PKC_STATE_DIR", str(tmp_path / uuid.uuid4().hex))
        if target is None:
            monkeypatch.delenv("PKC_SLA_TARGET", raising=False)
        else:
            monkeypatch.setenv("PKC_SLA_TARGET", target)
        service = bootstrap()
        built.append(service)
        return service

    yield make
    for service in built:
        service.monthly_store.engine.dispose()


def as_auditor(app: FastAPI) -> TestClient:
    """A client whose every call is an auditor's (who may read the service levels and the
    monthly report); tokens verified by a real issuer: tests/integration/test_reporting_routes."""
    auditor = Principal("auditor-1", "auditor", frozenset({Role.AUDITOR}), None, True, 0.0)

    class AnyTokenIsTheAuditors:
        async def verify(self, token: str) -> Principal:
            return auditor

    app.state.identity = AnyTokenIsTheAuditors()
    return TestClient(app, headers={"Authorization": "Bearer auditor"})


def answers(within: int, late: int) -> list[Answered]:
    return [
        Answered(
            occurred_at=MORNING + timedelta(seconds=i),
            contact_id=uuid.uuid4(),
            region=Region.MITT,
            channel=Channel.PHONE,
            category=NeedCategory.CASE_HELP,
            received_at=MORNING,
            wait_seconds=60 if i < within else 900,
            operator_id="op",
            operator_region=Region.MITT,
        )
        for i in range(within + late)
    ]


def decisions(service: ReportingService, events: list[Answered]) -> list[Event]:
    state = RegionState(RegionMeta(), DictBuckets(), service.core.config)
    out: list[Event] = []
    for event in events:
        state.apply(event)
        out += decide_step(Region.MITT, state, event, list, service.core.rules)[0]
    return out


def test_pkc_sla_target_changes_the_breach_the_dashboard_and_the_monthly_report(
    build: Build,
) -> None:
    # 87 of 100 answered in time, the good ones first: the share falls to 87 % at the end.
    events = answers(87, 13)
    default, stricter = build(None), build("0.9")

    assert not any(isinstance(e, SlaBreached) for e in decisions(default, events))
    breaches = [e for e in decisions(stricter, events) if isinstance(e, SlaBreached)]
    assert len(breaches) == 1
    assert breaches[0].target == 0.9

    for service, said, meets in ((default, "85 %", True), (stricter, "90 %", False)):
        service.monthly_store.apply(effective(service.monthly.aggregation, events))
        client = as_auditor(http_app(service))
        page = client.get("/dashboard").text
        assert f"Mål {said} (07:00–20:00)" in page
        assert "besvarade inom 10 minuter" in page
        report = client.get("/reports/monthly", params={"month": "2026-05"}).json()
        assert report["target"] == service.policy.target
        mitt = next(c for c in report["regions"] if c["region"] == "mitt")
        assert mitt["this_month"]["share"] == 0.87
        assert mitt["meets_target"] is meets
        assert said in client.get("/openapi.json").json()["info"]["description"]
        chart = client.get("/reports/monthly/chart.svg", params={"month": "2026-05"}).text
        assert f"<!-- mål {said} -->" in chart  # Swedish labels by default
        params = {"month": "2026-05", "lang": "en"}
        chart = client.get("/reports/monthly/chart.svg", params=params).text
        assert f"<!-- target {said} -->" in chart


def test_every_region_reads_no_data_before_any_event(build: Build) -> None:
    client = as_auditor(http_app(build(None)))
    regions = client.get("/sla").json()
    assert {r["region"] for r in regions} == {r.value for r in Region}
    assert {r["state"] for r in regions} == {"no_data"}
    assert client.get("/sla/nowhere").status_code == 422


def test_a_prediction_horizon_past_the_threshold_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PKC_SLA_THRESHOLD_SECONDS", "300")
    monkeypatch.setenv("PKC_REPORTING_PREDICTION_HORIZON_SECONDS", "301")
    with pytest.raises(ValueError, match="prediction_horizon_seconds must not exceed"):
        ReportingSettings()
