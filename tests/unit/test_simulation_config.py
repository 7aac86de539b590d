"""The simulator's defaults, its clock, and how it survives services that fail."""

import asyncio
import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from domain.service_level import STOCKHOLM
from domain.staffing.need import service_level
from pkc.polling import poll_async
from pkc.ports import free_port
from pkc.simulation import (
    Credential,
    ServiceUrls,
    SignIns,
    SimulationConfig,
    TrafficModel,
    calibrated_staffing,
    clock_from_env,
    default_clock_start,
    simulate,
)
from pkc.simulation.calls import call
from pkc.simulation.stats import SimulationStats
from schemas import Channel, Region
from services.shared.clock import SimulatedClock, make_clock


def test_default_staffing_reproduces_the_seed_picture() -> None:
    config = SimulationConfig()
    staffing = config.operators()
    load = config.traffic().operator_load()
    level = {
        region: service_level(
            staffing[region], max(load[region]), config.handling_seconds, config.patience_seconds
        )
        for region in Region
    }
    for lagging in (Region.STOCKHOLM, Region.VAST, Region.NORD):
        assert level[lagging] < 0.85, (lagging, level)  # understaffed at their peak
    assert level[Region.OST] > 0.9  # comfortable
    assert all(n >= 1 for n in staffing.values())


def test_staffing_scales_with_volume_and_can_be_given() -> None:
    small = calibrated_staffing(TrafficModel(volume=0.1), 600, 900)
    large = calibrated_staffing(TrafficModel(volume=0.5), 600, 900)
    assert sum(large.values()) > 3 * sum(small.values())
    given = SimulationConfig(staffing={Region.MITT: 4}).operators()
    assert given[Region.MITT] == 4
    assert given[Region.STOCKHOLM] == 0


def test_each_simulated_operator_is_a_person_of_their_region() -> None:
    people = SimulationConfig(staffing={Region.MITT: 2, Region.OST: 1}).operator_people()
    assert people == [
        ("sim-mitt-1", Region.MITT),
        ("sim-mitt-2", Region.MITT),
        ("sim-ost-1", Region.OST),
    ]


def test_default_volume_is_a_few_contacts_per_real_second_at_speed_60() -> None:
    peak_per_real_second = SimulationConfig().traffic().peak_per_hour() / 3600 * 60
    assert 1.0 < peak_per_real_second < 6.0


@pytest.mark.parametrize("field", ["volume", "patience_seconds", "handling_seconds"])
def test_invalid_configuration_is_refused(field: str) -> None:
    zeroed: dict[str, Any] = {field: 0}
    with pytest.raises(ValueError, match=field):
        SimulationConfig(**zeroed)


def test_the_clock_is_the_one_the_services_build_from_the_same_environment() -> None:
    start = default_clock_start()
    assert start.astimezone(STOCKHOLM).hour == 8
    anchor = time.time() - 100
    env = {
        "PKC_CLOCK_START": start.isoformat(),
        "PKC_CLOCK_ANCHOR": str(anchor),
        "PKC_CLOCK_SPEED": "60",
    }
    ours = clock_from_env(env)
    theirs = make_clock((datetime.fromisoformat(env["PKC_CLOCK_START"]), anchor), 60.0)
    assert isinstance(ours, SimulatedClock)
    assert abs((ours.now() - theirs.now()).total_seconds()) < 1.0
    assert (ours.now() - start).total_seconds() == pytest.approx(6000, abs=60)


async def test_a_failing_service_is_counted_and_backed_off() -> None:
    stats = SimulationStats()
    answers = iter([503, 502, 200])
    transport = httpx.MockTransport(lambda _: httpx.Response(next(answers)))
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        response = await call(client, stats, "GET", "/")
    assert response is not None
    assert response.status_code == 200
    assert stats.errors == 2


async def test_the_simulator_survives_services_that_are_not_there() -> None:
    """Connection refused everywhere: errors are counted, the run ends when told, no crash."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    clock = SimulatedClock(datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM), speed=600)
    stop = asyncio.Event()
    seen: list[SimulationStats] = []
    config = SimulationConfig(volume=0.2, staffing={Region.MITT: 2}, progress_real_seconds=0.1)
    sign_ins = SignIns(
        f"{nowhere}/realms/pkc",  # the issuer is not there either
        {channel: Credential.adapter(f"adapter-{channel}", "secret") for channel in Channel},
        {name: Credential.person(name, "password") for name, _ in config.operator_people()},
    )
    run = asyncio.create_task(
        simulate(config, clock, ServiceUrls(nowhere, nowhere), sign_ins, stop, seen.append)
    )

    async def counted() -> bool:
        return bool(seen) and seen[-1].errors >= 10 and seen[-1].dropped > 0

    await poll_async(counted, "errors and dropped contacts to be counted", timeout=10)
    stop.set()
    stats = await asyncio.wait_for(run, 10)
    assert stats.posted == 0
    assert stats.errors >= 10
    assert stats.dropped > 0
    assert stats.operators_on_duty == 0
