"""Estimated waits on queueing's real routes and database: the public per-queue waits (no
token, no personal data) and a waiting contact's place for its adapter."""

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas import Channel, NeedCategory, QueueName, Region
from services.queueing.app import app_for
from services.queueing.bootstrap import Queueing, bootstrap
from services.queueing.domain import Actor
from services.queueing.settings import QueueingSettings
from services.shared.clock import SimulatedClock
from tests.e2e.conftest import SIMULATED_START  # a Tuesday, 09:00 in Stockholm
from tests.identities import Identities
from tests.integration.routes_client import routes_client
from tests.queueing_contacts import classified

# Two operators busy, nothing answered yet to measure: the estimate falls back to staffing,
# one operator frees up every (600 s handling + 30 s wrap-up) / 2 operators = 315 s.
STEP = 315.0


@pytest.fixture
def client(identities: Identities, state_dir: Path) -> Iterator[TestClient]:
    settings = QueueingSettings(
        state_dir=state_dir,
        oidc_issuer=identities.issuer,
        wait_cache_seconds=0,
        opening_hours="switchboard=00:00-01:00",  # closed at 09:00
    )
    with routes_client(app_for(bootstrap(settings, SimulatedClock(SIMULATED_START, speed=0)))) as c:
        yield c


def queued(core: Queueing, waited: float, **fields: Any) -> uuid.UUID:
    now = core.clock.now()
    event = classified(Region.OST, waited=waited, at=now).model_copy(update=fields)
    core.contacts.enqueue(event, now)
    return event.contact_id


def crime_report(body: list[dict[str, Any]], region: str = "ost") -> dict[str, Any]:
    return next(q for q in body if q["region"] == region and q["queue"] == "crime_report")


def test_waits_for_anyone_and_a_contacts_place_for_its_adapter(
    client: TestClient, identities: Identities
) -> None:
    core: Queueing = client.app.state.queueing  # type: ignore[attr-defined]
    first, _, third, fourth = (queued(core, w) for w in (300, 240, 180, 120))
    now = core.clock.now()
    for name in ("wait-ost-1", "wait-ost-2"):
        core.operators.sign_in(Actor(name, name), Region.OST, [], True, now)
        assert core.contacts.take_next(name, now) is not None  # the first two: busy now

    public = client.get("/queues/wait")  # no token
    assert public.status_code == 200
    assert str(third) not in public.text, "no contact is named"
    crime = crime_report(public.json())
    assert (crime["waiting"], crime["open"]) == (2, True)
    assert crime["estimated_wait_seconds"] == pytest.approx(3 * STEP), "a new one: third"
    assert crime["channels"]["phone"]["waiting"] == 2
    assert crime["channels"]["mail"] == {
        "waiting": 0,
        "estimated_wait_seconds": pytest.approx(3 * STEP),
        "open": True,
        "opens_at": None,
        "target_seconds": 24 * 3600,
    }
    assert crime_report(public.json(), "syd")["estimated_wait_seconds"] is None, "nobody there"

    adapter = identities.adapter()
    assert client.get(f"/contacts/{third}/place").status_code == 401
    operator = identities.person("wait-op", "operator", "ost")
    assert client.get(f"/contacts/{third}/place", headers=operator).status_code == 403
    assert client.get(f"/contacts/{uuid.uuid4()}/place", headers=adapter).status_code == 404
    places = [client.get(f"/contacts/{c}/place", headers=adapter).json() for c in (third, fourth)]
    assert [(p["position"], p["estimated_wait_seconds"]) for p in places] == [
        (1, pytest.approx(STEP)),
        (2, pytest.approx(2 * STEP)),
    ]
    taken = client.get(f"/contacts/{first}/place", headers=adapter).json()
    assert (taken["status"], taken["position"]) == ("assigned", None)


def test_a_written_contact_in_a_closed_queue_is_told_when_it_opens(
    client: TestClient, identities: Identities
) -> None:
    core: Queueing = client.app.state.queueing  # type: ignore[attr-defined]
    letter = queued(core, 60, channel=Channel.MAIL, category=NeedCategory.INFORMATION)
    place = client.get(f"/contacts/{letter}/place", headers=identities.adapter()).json()
    opens = datetime.fromisoformat("2026-11-25T00:00:00+01:00")  # the switchboard's hours
    assert place["queue"] == QueueName.SWITCHBOARD
    assert (place["position"], place["estimated_wait_seconds"]) == (1, None)
    assert datetime.fromisoformat(place["opens_at"]) == opens
    received = core.clock.now().timestamp() - 60
    assert datetime.fromisoformat(place["due_at"]).timestamp() == received + 24 * 3600
    switchboard = next(
        q
        for q in client.get("/queues/wait").json()
        if q["region"] == "ost" and q["queue"] == "switchboard"
    )
    assert (switchboard["open"], switchboard["estimated_wait_seconds"]) == (False, None)
    assert datetime.fromisoformat(switchboard["opens_at"]) == opens
