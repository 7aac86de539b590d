"""Watching a count another process keeps grow to a target: the throughput runs' end, and the
latency runs' stamps (when each item's count was seen).

A look costs the process it asks (reporting's `GET /sla` works out every region's outlook) and
this one, and on a small machine both come out of the CPU being measured. So the next look
comes after half the time what is left should take at the rate seen so far, within GAPS:
seldom while most is left, often at the end, which a throughput run is timed by. In `python
-m bench native` (2026-12-06, three runs each way; README, "Benchmarks"), against a look by
httpx every 50 ms: the load generator's CPU per contact 0.091-0.114 -> 0.064-0.077 ms,
reporting's 0.38-0.46 -> 0.36-0.38. That is the bench's own looking, not the platform's work.
"""

from asyncio import sleep
from collections.abc import Awaitable, Callable
from time import monotonic, perf_counter

# The shortest and the longest wait between two looks, in seconds.
GAPS = (0.02, 0.25)


async def until_counted(
    look: Callable[[], Awaitable[int | None]],
    target: int,
    what: str,
    *,
    timeout: float,
    since: tuple[float, int] | None = None,
) -> float:
    """Calls `look` (the count so far, or None while it cannot tell) until the count reaches
    `target`; when (perf_counter) the look that saw it was answered. The rate is read from
    `since` (when, perf_counter, and the count then: a run's start), or from the first look;
    moved on while the count stands still (a worker still starting). TimeoutError naming
    `what` and the last count after `timeout` seconds."""
    deadline = monotonic() + timeout
    fastest, slowest = GAPS
    first = since
    while True:
        counted = await look()
        now = perf_counter()
        if counted is not None and counted >= target:
            return now
        if monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}; last: {counted}")
        gap = slowest
        if counted is not None:
            if first is None or counted <= first[1]:
                first = (now, counted)
            elif now > first[0]:
                rate = (counted - first[1]) / (now - first[0])
                gap = min(slowest, max(fastest, (target - counted) / rate / 2))
        await sleep(gap)


def stamp_counted(observed: list[float], counted: int, total: int) -> bool:
    """The latency runs' look: each item counted since the last look is stamped with now
    (perf_counter), when its count was seen; counts grow in the order items were sent, near
    enough, so the n-th stamp belongs to the n-th send. True once all `total` are stamped."""
    now = perf_counter()
    while len(observed) < min(counted, total):
        observed.append(now)
    return len(observed) >= total
