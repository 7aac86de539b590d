"""The simulator against real intake, triage and queueing processes on the session's Kafka.

Contacts go in over intake's HTTP API, through triage, into queueing's queues, and simulated
operators take and answer them; impatient callers hang up through queueing's adapter API, and
citizens rate handled contacts through intake's (the adapter that posted each). Each
adapter signs in as its channel's service account and each operator as a person of their own at
the session's Keycloak. The clock runs 30 times real time from a Tuesday morning inside service
hours.
"""

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from pkc.issuer import Issuer
from pkc.platform import PlatformSetup, running_platform
from pkc.polling import poll_async
from pkc.simulation import (
    ServiceUrls,
    SimulationConfig,
    SimulationStats,
    local_sign_ins,
    simulate,
)
from schemas import Channel, Region
from services.shared.clock import Clock
from tests.identities import Identities

pytestmark = pytest.mark.kafka

START = datetime.fromisoformat("2026-11-24T09:30:00+01:00")
SPEED = 30.0
DEADLINE_SECONDS = 40.0


@pytest.fixture(scope="module")
def services(
    kafka: str, tmp_path_factory: pytest.TempPathFactory, identities: Identities
) -> Iterator[tuple[ServiceUrls, Clock]]:
    state: Path = tmp_path_factory.mktemp("simulation")
    setup = PlatformSetup(
        kafka,
        state,
        START,
        SPEED,
        settings={"PKC_TRACES_EXPORTER": "none"},
        names=("intake", "triage", "queueing"),
        issuer=Issuer(identities.issuer, local=identities.provider),  # no second Keycloak
    )
    with running_platform(setup, ready_timeout=90) as platform:
        yield ServiceUrls(platform.url("intake"), platform.url("queueing")), platform.clock


async def test_simulated_traffic_is_posted_answered_and_hung_up(
    services: tuple[ServiceUrls, Clock], identities: Identities
) -> None:
    urls, clock = services
    config = SimulationConfig(
        volume=0.15,  # about 2 contacts per real second at this speed
        staffing={Region.STOCKHOLM: 2, Region.OST: 2, Region.NORD: 1},  # others unstaffed
        handling_seconds=120.0,
        patience_seconds=90.0,  # short: some callers hang up within the test's seconds
        idle_poll_seconds=5.0,
        min_poll_real_seconds=0.1,
        progress_real_seconds=0.2,
        rating_share=1.0,  # every handled contact: ratings within the test's seconds
    )
    # The simulated operators become people of the realm (blocking: before the loop is busy).
    sign_ins = await asyncio.to_thread(local_sign_ins, identities.provider, config)
    assert sorted(sign_ins.operators) == sorted(name for name, _ in config.operator_people())
    stop = asyncio.Event()
    seen: list[SimulationStats] = []
    run = asyncio.create_task(simulate(config, clock, urls, sign_ins, stop, seen.append))

    def done(stats: SimulationStats) -> bool:
        enough = stats.answered_posted >= 5 and stats.resolved >= 2 and stats.abandoned >= 2
        return enough and stats.rated >= 2

    async def reached() -> bool:
        assert not run.done(), "the simulator ended by itself"
        return bool(seen) and done(seen[-1])

    what = "5 answered, 2 resolved, 2 hung up and 2 rated"
    try:
        # The interval of the progress snapshots.
        await poll_async(reached, what, timeout=DEADLINE_SECONDS, interval=0.2)
    finally:
        stop.set()
        stats = await asyncio.wait_for(run, 20)

    assert stats.posted >= stats.answered_posted >= 5
    assert stats.posted_by_channel[Channel.PHONE] > 0
    assert sum(stats.posted_by_region.values()) == stats.posted
    assert stats.answered_by_region[Region.STOCKHOLM] + stats.answered_by_region[Region.OST] > 0
    assert stats.errors <= max(2, stats.posted // 10)
    # Each rating was accepted by intake (202) for a contact this run posted and handled.
    assert 2 <= stats.rated <= stats.resolved
    assert stats.rated <= stats.rating_sum <= 5 * stats.rated
    # Operators were logged out when the run stopped.
    reader = identities.person("supervisor-national")
    async with httpx.AsyncClient(base_url=urls.queueing, timeout=10, headers=reader) as client:
        queues = (await client.get("/queues")).json()
    assert all(q["operators_available"] == 0 for q in queues), queues
