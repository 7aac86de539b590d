"""Watching a count another process keeps grow to a target: the throughput runs' end.

A look costs the process it asks (reporting's `GET /sla` works out every region's outlook) and
this one, and on a small machine both come out of the CPU being measured. So the next look
comes after half the time what is left should take at the rate seen so far, within GAPS:
seldom while most is left, often at the end, which a throughput run is timed by. In `python
-m bench native` (2026-12-06, three runs each way), against a look by httpx every 50 ms: the
load generator's CPU per contact 0.091-0.114 -> 0.064-0.077 ms, reporting's 0.38-0.46 ->
0.36-0.38.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

# The shortest and the longest wait between two looks, in seconds.
GAPS = (0.02, 0.25)


async def until_counted(
    look: Callable[[], Awaitable[int | None]], target: int, what: str, *, timeout: float
) -> float:
    """Calls `look` (the count so far, or None while it cannot tell) until the count reaches
    `target`; when (perf_counter) the look that saw it was answered. TimeoutError naming
    `what` and the last count after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    fastest, slowest = GAPS
    first: tuple[float, int] | None = None  # the first count seen, and when
    while True:
        counted = await look()
        now = time.perf_counter()
        if counted is not None and counted >= target:
            return now
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}; last: {counted}")
        gap = slowest
        if counted is not None:
            first = first or (now, counted)
            rate = (counted - first[1]) / (now - first[0]) if now > first[0] else 0.0
            if rate > 0:
                gap = min(slowest, max(fastest, (target - counted) / rate / 2))
        await asyncio.sleep(gap)
