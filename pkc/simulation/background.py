"""The simulator on a thread of its own, for `pkc run`'s synchronous supervisor loop."""

import asyncio
import threading

from pkc.simulation.config import ServiceUrls, SimulationConfig
from pkc.simulation.engine import Progress, simulate
from pkc.simulation.people import SignIns
from pkc.simulation.stats import SimulationStats
from services.shared.clock import Clock


class SimulationThread:
    def __init__(
        self,
        config: SimulationConfig,
        clock: Clock,
        urls: ServiceUrls,
        sign_ins: SignIns,
        progress: Progress | None = None,
    ):
        self.config, self.clock, self.urls = config, clock, urls
        self.sign_ins = sign_ins
        self.progress = progress
        self.stats: SimulationStats | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pkc-simulation", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def stop(self, timeout: float = 15.0) -> SimulationStats | None:
        """Stops the run (operators log out) and returns its figures."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        return self.stats

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._started.set()
        self.stats = await simulate(
            self.config, self.clock, self.urls, self.sign_ins, self._stop, self.progress
        )
