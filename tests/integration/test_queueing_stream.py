"""Queueing's live queue stream with real tokens: a person's, capped per person, one reader
per region however many listen (the fan-out of services/shared/live.py)."""

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from schemas import Region
from services.queueing.app import app_for
from services.queueing.bootstrap import bootstrap
from services.queueing.settings import QueueingSettings
from services.shared.clock import SimulatedClock
from services.shared.live import LiveHub
from tests.e2e.conftest import SIMULATED_START
from tests.identities import Identities
from tests.integration.routes_client import routes_client
from tests.queueing_contacts import classified


@pytest.fixture
def client(identities: Identities, state_dir: Path) -> Iterator[TestClient]:
    settings = QueueingSettings(
        state_dir=state_dir,
        oidc_issuer=identities.issuer,
        live_interval_seconds=0.05,
        live_max_streams_per_person=1,
    )
    process = bootstrap(settings, SimulatedClock(SIMULATED_START))
    app = app_for(process)
    now = SimulatedClock(SIMULATED_START).now()
    process.core.contacts.enqueue(classified(Region.OST, waited=300, at=now), now)
    with routes_client(app) as test_client:
        yield test_client


def test_the_queue_stream_needs_a_person_and_sends_the_state(
    client: TestClient, identities: Identities
) -> None:
    with client.stream("GET", "/queues/ost/stream") as anonymous:
        assert anonymous.status_code == 401
    with client.stream("GET", "/queues/ost/stream", headers=identities.adapter()) as adapter:
        assert adapter.status_code == 403
    operator = identities.person("operator-stockholm-1")
    with client.stream("GET", "/queues/ost/stream", headers=operator) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == "event: queue"
        data = next(lines)
        assert json.loads(data.removeprefix("data: "))["waiting_total"] == 1


def test_one_reader_per_region_and_one_stream_per_person_here(
    client: TestClient, identities: Identities
) -> None:
    operator = identities.person("operator-stockholm-1")
    supervisor = identities.person("supervisor-national")
    with contextlib.ExitStack() as open_streams:
        for person in (operator, supervisor):
            stream = open_streams.enter_context(
                client.stream("GET", "/queues/ost/stream", headers=person)
            )
            assert next(stream.iter_lines()) == "event: queue"
        hub: LiveHub = client.app.state.live_hub  # type: ignore[attr-defined]
        assert list(hub.feeds) == [("queue", "ost")], "both listen to one reader"
        assert len(hub.feeds[("queue", "ost")].listeners) == 2
        with client.stream("GET", "/queues/mitt/stream", headers=operator) as second:
            assert second.status_code == 429
            assert second.headers["retry-after"].isdigit()
    # Both disconnected: the reader stopped, the operator may open a stream again.
    assert hub.feeds == {}
    with client.stream("GET", "/queues/mitt/stream", headers=operator) as again:
        assert again.status_code == 200
