"""Waiting for something another process does: poll a condition until it holds or a deadline
passes, never a bare sleep (the tests, the bench and `pkc run` waiting for its services)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def poll(
    probe: Callable[[], T | None],
    what: str,
    *,
    timeout: float = 60.0,
    interval: float = 0.1,
) -> T:
    """Calls `probe` until it returns something truthy and returns that; raises TimeoutError
    naming `what` and the last value seen if the deadline passes first. An exception from
    `probe` ends the wait at once."""
    deadline = time.monotonic() + timeout
    while True:
        seen = probe()
        if seen:
            return seen
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}; last: {seen!r}")
        time.sleep(interval)


async def poll_async(
    probe: Callable[[], Awaitable[T | None]],
    what: str,
    *,
    timeout: float = 60.0,
    interval: float = 0.1,
) -> T:
    """`poll` for an async probe, yielding to the event loop between tries."""
    deadline = time.monotonic() + timeout
    while True:
        seen = await probe()
        if seen:
            return seen
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}; last: {seen!r}")
        await asyncio.sleep(interval)
