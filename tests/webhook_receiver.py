"""A real HTTP server that records the webhooks it receives (for notify's tests)."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    url: str
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    status: int = 200  # what to answer; tests set 500 to play a receiver that is down
    delay: float = 0.0  # seconds before answering: a slow receiver

    def wait_for(self, predicate: Any, timeout: float) -> list[Received]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: predicate(self.received), timeout):
                raise AssertionError(f"webhook condition not met in {timeout} s: {self.received}")
            return list(self.received)


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver: WebhookReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if receiver.status < 300:  # recorded on arrival: a slow answer hides no request
                with receiver.arrived:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    receiver.arrived.notify_all()
            if receiver.delay:
                time.sleep(receiver.delay)  # plays a slow receiver; synchronises nothing
            self.send_response(receiver.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(url=f"http://127.0.0.1:{server.server_port}/alerts")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
