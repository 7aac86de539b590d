"""`simulate`: national traffic and simulated operators against running intake and queueing."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from pkc.simulation.adapter import Adapters, Switchboard
from pkc.simulation.config import ServiceUrls, SimulationConfig
from pkc.simulation.operators import SimulatedOperator
from pkc.simulation.people import SignIns
from pkc.simulation.signin import TokenSource
from pkc.simulation.stats import SimulationStats
from services.shared.clock import Clock

log = logging.getLogger("pkc.simulation")

Progress = Callable[[SimulationStats], None]
_LOG_OUT_REAL_SECONDS = 5.0  # at stop, how long operators get to log out


async def simulate(
    config: SimulationConfig,
    clock: Clock,
    urls: ServiceUrls,
    sign_ins: SignIns,
    stop: asyncio.Event,
    progress: Progress | None = None,
) -> SimulationStats:
    """Runs until `stop` is set; returns what happened. Service failures are counted, not raised.

    Adapters and operators sign in at `sign_ins.issuer` as themselves; an operator without a
    credential there is left out (and logged)."""
    stats = SimulationStats()
    switchboard = Switchboard()
    limits = httpx.Limits(max_connections=config.max_in_flight + 16)
    async with (
        httpx.AsyncClient(base_url=urls.intake, timeout=10.0, limits=limits) as intake,
        httpx.AsyncClient(base_url=urls.queueing, timeout=10.0, limits=limits) as queueing,
        httpx.AsyncClient(timeout=10.0) as issuer,
    ):
        tokens = TokenSource(sign_ins.issuer, issuer)
        adapters = Adapters(
            config,
            clock,
            intake,
            queueing,
            {channel: tokens.signed_in(who) for channel, who in sign_ins.adapters.items()},
            stats,
            switchboard,
        )
        operators = _operators(config, clock, queueing, tokens, sign_ins, stats, switchboard)
        work: list[Coroutine[Any, Any, None]] = [adapters.arrivals(), adapters.ratings()]
        work += [operator.run() for operator in operators]
        if progress is not None:
            work.append(_report(progress, stats, config.progress_real_seconds))
        tasks = [asyncio.create_task(_guarded(job, stats)) for job in work]
        try:
            await stop.wait()
        finally:
            for task in [*tasks, *adapters.in_flight]:
                task.cancel()
            await asyncio.gather(*tasks, *adapters.in_flight, return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_LOG_OUT_REAL_SECONDS):
                    await asyncio.gather(*(o.log_out() for o in operators))
    if progress is not None:
        progress(stats.snapshot())
    return stats


def _operators(
    config: SimulationConfig,
    clock: Clock,
    queueing: httpx.AsyncClient,
    tokens: TokenSource,
    sign_ins: SignIns,
    stats: SimulationStats,
    switchboard: Switchboard,
) -> list[SimulatedOperator]:
    """One simulated operator per person of the staffing who has a sign-in."""
    people = config.operator_people()
    operators = [
        SimulatedOperator(
            name,
            region,
            config,
            clock,
            queueing,
            tokens.signed_in(sign_ins.operators[name]),
            stats,
            switchboard,
        )
        for name, region in people
        if name in sign_ins.operators
    ]
    log.info(
        "simulation: volume %s, %d operators (%d without a sign-in), seed %d",
        config.volume,
        len(operators),
        len(people) - len(operators),
        config.seed,
    )
    return operators


async def _guarded(job: Coroutine[Any, Any, None], stats: SimulationStats) -> None:
    """A bug in one operator or the arrivals must not end the run silently: count and log it."""
    try:
        await job
    except asyncio.CancelledError:
        raise
    except Exception:
        stats.errors += 1
        log.exception("a simulation task failed")


async def _report(progress: Progress, stats: SimulationStats, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        progress(stats.snapshot())
