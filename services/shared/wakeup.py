"""A wake-up call to a loop's waiting task from any thread: a commit on FastAPI's thread pool
tells a background publisher to look now instead of at its next poll."""

import asyncio
import contextlib


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> None:
        """Takes calls from now on (in the waiting task's loop): one made while that task is
        still busy ends its next `wait` at once."""
        self._loop = asyncio.get_running_loop()

    def __call__(self) -> None:
        """Wakes the waiting task (from any thread); before `bind` or `wait`, nothing."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self, seconds: float) -> None:
        """Returns when woken or after `seconds`, whichever comes first."""
        self.bind()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
        self._event.clear()
