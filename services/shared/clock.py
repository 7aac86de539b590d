"""The one source of time for every service: real time, or a simulated day run faster.

All processes of a simulated run share (start, anchor, speed), so they agree on "now" without
talking to each other: now = start + (real_now - anchor) * speed.
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    speed: float

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None:
        """Sleeps `seconds` of this clock's time."""
        ...


class SystemClock:
    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class SimulatedClock:
    def __init__(self, start: datetime, anchor: float | None = None, speed: float = 1.0):
        self.start = start.astimezone(UTC)
        self.anchor = time.time() if anchor is None else anchor
        self.speed = speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


def make_clock(origin: tuple[datetime, float] | None, speed: float) -> Clock:
    if origin is None and speed == 1.0:
        return SystemClock()
    start, anchor = origin if origin is not None else (datetime.now(UTC), time.time())
    return SimulatedClock(start, anchor or time.time(), speed)
