"""Wrong case secrets per client address: after `max_failures` within `window_seconds` an
address is refused (429) until its oldest failure leaves the window.

In process, per replica, on purpose: it needs no store and no network, and what it guards is
already safe by itself (80-bit secrets, docs/cases.md): it stops an address trying reference
after reference, not a determined attacker with many addresses, whom a gateway in front stops.
With n replicas an address gets at most n × `max_failures` guesses per window. A wrong secret
and an unknown reference count alike, so the limiter does not tell them apart either.
"""

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailureLimiter:
    def __init__(
        self,
        max_failures: int = 10,
        window_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 10_000,
    ):
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self.max_addresses = max_addresses  # the oldest address is forgotten beyond this
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # routes run on FastAPI's thread pool

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address)) >= self.max_failures

    def failed(self, address: str) -> None:
        with self._lock:
            recent = self._recent(address)
            recent.append(self.clock())
            self._failures[address] = recent
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)

    def _recent(self, address: str) -> deque[float]:
        recent = self._failures.get(address, deque())
        horizon = self.clock() - self.window
        while recent and recent[0] <= horizon:
            recent.popleft()
        if not recent:
            self._failures.pop(address, None)
        return recent
