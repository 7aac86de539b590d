"""A local on-call desk for `pkc run`: a real HTTP webhook receiver and a real SMTP server
(aiosmtpd) that keep what notify delivers, so the terminal can show it."""

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class AlertDesk:
    alerts: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    mails: list[str] = field(default_factory=list)  # "to: subject"
    smtp: Controller | None = None
    smtp_port: int = 0

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/alerts"

    def start(self) -> None:
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    alert = json.loads(body)
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                with desk.lock:
                    desk.alerts.append(alert)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

        class Mail:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
                message = message_from_bytes(envelope.content)
                with desk.lock:
                    desk.mails.append(f"{message['To']}: {message['Subject']}")
                return "250 Message accepted for delivery"

        with socket.socket() as probe:  # aiosmtpd cannot bind port 0 itself
            probe.bind(("127.0.0.1", 0))
            self.smtp_port = probe.getsockname()[1]
        self.smtp = Controller(Mail(), hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()

    def stop(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def recent_mails(self, count: int = 3) -> list[str]:
        with self.lock:
            return list(self.mails[-count:])

    def recent(self, count: int = 5) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.alerts[-count:])
