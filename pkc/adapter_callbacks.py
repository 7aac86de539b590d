"""A channel adapter's callback endpoint, as a real one must behave (docs/adapters.md): it keeps
only deliveries signed with the secret intake gave it, and takes each status change once by its
Idempotency-Key, however often it is delivered. It can play an adapter that fails the first
attempts of every change, or refuses them for good. The tests and the bench receive intake's
status callbacks here, over real HTTP on a loopback port."""

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pkc.ports import free_port
from services.intake.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify


@dataclass(frozen=True)
class Delivery:
    key: str
    status: dict[str, Any]  # the ContactStatus body
    arrived: float  # time.monotonic() on arrival


@dataclass
class CallbackEndpoint:
    url: str
    secret: str = field(default="", repr=False)  # set from intake's answer to the registration
    fail_first: int = 0  # answer 500 to the first attempts of each change
    status: int = 200  # what to answer after those: 410 plays an adapter refusing for good
    attempts: Counter[str] = field(default_factory=Counter)
    forged: int = 0  # deliveries whose signature did not verify (answered 401)
    _taken: dict[str, Delivery] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, key: str, signature: str | None, body: bytes) -> int:
        with self._lock:
            if not verify(self.secret, signature, body, time.time()):
                self.forged += 1
                return 401
            self.attempts[key] += 1
            if self.attempts[key] <= self.fail_first:
                return 500
            if self.status >= 300:
                return self.status
            if key not in self._taken:  # a repeat of a change taken already: 200, not kept
                self._taken[key] = Delivery(key, json.loads(body), time.monotonic())
            return 200

    def taken(self) -> list[Delivery]:
        """Each change taken, once, in the order of arrival."""
        with self._lock:
            return sorted(self._taken.values(), key=lambda d: d.arrived)

    def of_contact(self, contact_id: str) -> list[dict[str, Any]]:
        return [d.status for d in self.taken() if d.status["contact_id"] == contact_id]


@contextmanager
def callback_endpoint(fail_first: int = 0, status: int = 200) -> Iterator[CallbackEndpoint]:
    """An endpoint on a free loopback port, answering on its own threads until the block ends."""
    endpoint: CallbackEndpoint

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            key = self.headers.get(IDEMPOTENCY_HEADER, "")
            code = endpoint.answer(key, self.headers.get(SIGNATURE_HEADER), body)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    url = f"http://127.0.0.1:{server.server_port}/pkc/status"
    endpoint = CallbackEndpoint(url=url, fail_first=fail_first, status=status)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
