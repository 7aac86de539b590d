"""One HTTP call as the simulator makes it: failures are counted and backed off, never raised."""

import asyncio
import logging
from typing import Any

import httpx

from pkc.simulation.stats import SimulationStats

log = logging.getLogger("pkc.simulation")

FIRST_BACKOFF, MAX_BACKOFF = 0.2, 5.0  # real seconds: a failing service is failing in real time


async def call(
    client: httpx.AsyncClient,
    stats: SimulationStats,
    method: str,
    path: str,
    *,
    attempts: int = 4,
    **kwargs: Any,
) -> httpx.Response | None:
    """The response once the service answers below 500; None when it never did (counted)."""
    backoff = FIRST_BACKOFF
    for attempt in range(attempts):
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            stats.errors += 1
            log.debug("%s %s failed: %s", method, path, type(exc).__name__)
        else:
            if response.status_code < 500:
                return response
            stats.errors += 1
            log.debug("%s %s answered %s", method, path, response.status_code)
        if attempt + 1 < attempts:
            await asyncio.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)
    return None


def unexpected(stats: SimulationStats, response: httpx.Response, what: str) -> None:
    """A 4xx the simulator did not expect: counted and logged (without the body's content)."""
    stats.errors += 1
    log.warning("%s refused with %s", what, response.status_code)
