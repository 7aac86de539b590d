"""Whether intake's producer can reach the broker, for /readyz.

A metadata request with intake's own credentials and a short timeout; its answer is kept for a
second or two, so that however often the probes come, the broker is asked at most that often
(and concurrent probes share one question)."""

import asyncio
import time
from collections.abc import Callable

from services.shared.kafka import KafkaSecurity
from services.shared.kafka_admin import cluster_answers


class BrokerReachability:
    def __init__(
        self,
        bootstrap: str,
        security: KafkaSecurity,
        timeout_seconds: float,
        fresh_for_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._bootstrap = bootstrap
        self._security = security
        self._timeout = timeout_seconds
        self._fresh_for = fresh_for_seconds
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._answered: bool = False
        self._asked_at: float | None = None

    async def reachable(self) -> bool:
        async with self._lock:
            asked_at = self._asked_at
            if asked_at is None or self._monotonic() - asked_at >= self._fresh_for:
                self._answered = await self._ask()
                self._asked_at = self._monotonic()
            return self._answered

    async def _ask(self) -> bool:
        return await cluster_answers(self._bootstrap, self._timeout, self._security)
