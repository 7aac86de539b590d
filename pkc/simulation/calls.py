"""One HTTP call as the simulator makes it, signed in as its adapter or operator: failures
(a sign-in included) are counted and backed off, never raised."""

import asyncio
import logging
from typing import Any

import httpx

from pkc.simulation.signin import SignedIn, SignInRefused
from pkc.simulation.stats import SimulationStats

log = logging.getLogger("pkc.simulation")

FIRST_BACKOFF, MAX_BACKOFF = 0.2, 5.0  # real seconds: a failing service is failing in real time


async def call(
    client: httpx.AsyncClient,
    stats: SimulationStats,
    method: str,
    path: str,
    *,
    auth: SignedIn | None = None,
    attempts: int = 4,
    **kwargs: Any,
) -> httpx.Response | None:
    """The response once the service answers below 500 (and not 401 while tries are left);
    None when it never did (counted)."""
    backoff = FIRST_BACKOFF
    for attempt in range(attempts):
        try:
            headers = await auth.headers() if auth is not None else {}
            response = await client.request(method, path, headers=headers, **kwargs)
        except (httpx.HTTPError, SignInRefused) as exc:
            stats.errors += 1
            log.debug("%s %s failed: %s", method, path, type(exc).__name__)
        else:
            if response.status_code == 401 and auth is not None and attempt + 1 < attempts:
                # A token the service no longer accepts (the issuer restarted): a fresh one.
                auth.forget()
                stats.errors += 1
                continue
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
