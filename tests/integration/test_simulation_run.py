"""The simulator against real intake, triage and queueing processes on the session's Kafka.

Contacts go in over intake's HTTP API, through triage, into queueing's queues, and simulated
operators take and answer them; impatient callers hang up through queueing's adapter API. The
clock runs 30 times real time from a Tuesday morning inside service hours.
"""

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from pkc.processes import ServiceProcess, wait_ready
from pkc.simulation import ServiceUrls, SimulationConfig, SimulationStats, Tokens, simulate
from schemas import Channel, Region
from services.shared.clock import SimulatedClock
from tests.conftest import free_port

pytestmark = pytest.mark.kafka

START = datetime.fromisoformat("2026-11-24T09:30:00+01:00")
SPEED = 30.0
DEADLINE_SECONDS = 40.0


@pytest.fixture(scope="module")
def services(
    kafka: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceUrls, SimulatedClock]]:
    state: Path = tmp_path_factory.mktemp("simulation")
    anchor = time.time()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PKC_STATE_DIR": str(state),
        "PKC_TRACES_EXPORTER": "none",
        "PKC_CLOCK_START": START.isoformat(),
        "PKC_CLOCK_ANCHOR": str(anchor),
        "PKC_CLOCK_SPEED": str(SPEED),
    }
    processes = {
        name: ServiceProcess(name, free_port(), state / "logs", env)
        for name in ("intake", "triage", "queueing")
    }
    for process in processes.values():
        process.start()
    try:
        wait_ready(list(processes.values()), timeout=90)
        urls = ServiceUrls(processes["intake"].url, processes["queueing"].url)
        yield urls, SimulatedClock(START, anchor, SPEED)
    finally:
        for process in processes.values():
            process.stop()


async def test_simulated_traffic_is_posted_answered_and_hung_up(
    services: tuple[ServiceUrls, SimulatedClock],
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
    )
    stop = asyncio.Event()
    seen: list[SimulationStats] = []
    run = asyncio.create_task(simulate(config, clock, urls, Tokens(), stop, seen.append))

    def done(stats: SimulationStats) -> bool:
        return stats.answered_posted >= 5 and stats.resolved >= 2 and stats.abandoned >= 2

    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while not (seen and done(seen[-1])):
            assert not run.done(), "the simulator ended by itself"
            assert time.monotonic() < deadline, f"not reached in time: {seen[-1:]}"
            await asyncio.sleep(0.2)  # poll interval of the progress snapshots
    finally:
        stop.set()
        stats = await asyncio.wait_for(run, 20)

    assert stats.posted >= stats.answered_posted >= 5
    assert stats.posted_by_channel[Channel.PHONE] > 0
    assert sum(stats.posted_by_region.values()) == stats.posted
    assert stats.answered_by_region[Region.STOCKHOLM] + stats.answered_by_region[Region.OST] > 0
    assert stats.errors <= max(2, stats.posted // 10)
    # Operators were logged out when the run stopped.
    async with httpx.AsyncClient(base_url=urls.queueing, timeout=10) as client:
        queues = (await client.get("/queues")).json()
    assert all(q["operators_available"] == 0 for q in queues), queues
