"""The one loop for a service's scheduled jobs (queueing's sweep, retention purges): each
round runs its jobs off the event loop, then sleeps `interval` seconds.

An outage (database locked or down, broker unreachable) skips the round: the next one catches
up, since every job here works from the current time, not from what the last round did.
Anything else stops the process, which is better than a job that silently never runs."""

import asyncio
import logging
from collections.abc import Callable

from services.shared.kafka import Kind, classify
from services.shared.logs import fields

log = logging.getLogger(__name__)


async def every(interval: float, what: str, *jobs: Callable[[], object]) -> None:
    """Runs `jobs` in order every `interval` seconds, until cancelled."""
    while True:
        try:
            for job in jobs:
                await asyncio.to_thread(job)
        except Exception as exc:
            if classify(exc) is not Kind.TRANSIENT:
                raise
            log.warning("scheduled job skipped", extra=fields(job=what, error=type(exc).__name__))
        await asyncio.sleep(interval)
