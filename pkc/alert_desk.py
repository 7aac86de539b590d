"""A local on-call desk: a real HTTP webhook receiver and a real SMTP server (aiosmtpd) that keep
what notify delivers. `pkc run` shows it in the terminal; the tests and the bench read it to see
what notify sent, and play a receiver that is down or slow.

The webhook receiver does what a real one must: it keeps only deliveries signed with the secret
it shares with notify (X-PKC-Signature, checked in constant time) and refuses the rest with 401,
so a forged alert never reaches the desk. Each desk makes its own secret and hands it to notify
(`notify_env`)."""

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, TypeVar

from aiosmtpd.controller import Controller

from pkc.ports import free_port
from services.notify.webhook import SIGNATURE_HEADER, signature_is_valid

T = TypeVar("T")


@dataclass
class _Inbox(Generic[T]):
    """What a receiver keeps: its serving thread keeps each arrival and notifies `arrived`, so
    a wait wakes on each arrival rather than polling."""

    arrived: threading.Condition = field(default_factory=threading.Condition, kw_only=True)
    awaited: ClassVar[str]  # what a wait says it waited for, unless told

    def _kept(self) -> list[T]:
        raise NotImplementedError

    def _shown(self, items: list[T]) -> str:
        return str(items)

    def wait_for(
        self, predicate: Callable[[list[T]], object], timeout: float, what: str | None = None
    ) -> list[T]:
        """Everything kept so far, once `predicate` is truthy for it."""
        with self.arrived:
            items = self._kept()
            if not self.arrived.wait_for(lambda: predicate(items), timeout):
                raise TimeoutError(
                    f"timed out after {timeout:g} s waiting for {what or self.awaited}; "
                    f"got: {self._shown(items)}"
                )
            return list(items)

    def _keep(self, item: T) -> None:
        with self.arrived:
            self._kept().append(item)
            self.arrived.notify_all()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver(_Inbox[Received]):
    awaited: ClassVar[str] = "the webhooks awaited"
    url: str
    secret: str = field(repr=False)  # shared with notify: PKC_NOTIFY_WEBHOOK_SECRET
    received: list[Received] = field(default_factory=list)
    refused: int = 0  # deliveries unsigned or badly signed, answered 401 and not kept
    status: int = 200  # what to answer; tests set 500 to play a receiver that is down
    delay: float = 0.0  # seconds before answering: a slow receiver

    def signed(self, body: bytes, signature: str | None) -> bool:
        if signature_is_valid(self.secret, signature, body, time.time()):
            return True
        with self.arrived:
            self.refused += 1
        return False

    def _kept(self) -> list[Received]:
        return self.received

    def recent(self, count: int = 5) -> list[dict[str, Any]]:
        """The latest alerts that were JSON objects, oldest first (for `pkc run`'s status)."""
        with self.arrived:
            latest = self.received[-count:]
        alerts = []
        for webhook in latest:
            try:
                alert = webhook.json()
            except ValueError:
                continue
            if isinstance(alert, dict):
                alerts.append(alert)
        return alerts


@contextmanager
def webhook_receiver(secret: str | None = None) -> Iterator[WebhookReceiver]:
    """A receiver on a free port, answering on its own threads until the block ends, keeping
    what is signed with `secret` (a new random one unless given)."""
    receiver: WebhookReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not receiver.signed(body, self.headers.get(SIGNATURE_HEADER)):
                self.send_response(401)
                self.end_headers()
                return
            if receiver.status < 300:  # recorded on arrival: a slow answer hides no request
                receiver._keep(Received(dict(self.headers.items()), body))
            if receiver.delay:
                time.sleep(receiver.delay)  # plays a slow receiver; synchronises nothing
            self.send_response(receiver.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_port}/alerts"
    receiver = WebhookReceiver(url=url, secret=secret or secrets.token_urlsafe(32))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox(_Inbox[Message]):
    awaited: ClassVar[str] = "the e-mail awaited"
    port: int
    messages: list[Message] = field(default_factory=list)
    refusing: bool = False  # tests set True to play a mail server that is down for a while

    def to(self, address: str) -> list[Message]:
        with self.arrived:
            return [m for m in self.messages if m["To"] == address]

    def _kept(self) -> list[Message]:
        return self.messages

    def _shown(self, items: list[Message]) -> str:
        return str([m["Subject"] for m in items])

    def recent(self, count: int = 3) -> list[str]:
        """ "to: subject" of the latest messages (for `pkc run`'s status)."""
        with self.arrived:
            return [f"{m['To']}: {m['Subject']}" for m in self.messages[-count:]]

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusing:
            return "451 4.3.0 Try again later"
        self._keep(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_receiver() -> Iterator[Mailbox]:
    """A mail server on a free port (aiosmtpd cannot bind port 0 itself) until the block ends."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass(frozen=True)
class AlertDesk:
    """Where notify delivers on a local platform: its webhook URL and its SMTP port."""

    webhook: WebhookReceiver
    mailbox: Mailbox

    def notify_env(self) -> dict[str, str]:
        """The settings that point notify at this desk."""
        return {
            "PKC_NOTIFY_WEBHOOK_URL": self.webhook.url,
            "PKC_NOTIFY_WEBHOOK_SECRET": self.webhook.secret,
            "PKC_NOTIFY_SMTP_PORT": str(self.mailbox.port),
        }


@contextmanager
def alert_desk() -> Iterator[AlertDesk]:
    with webhook_receiver() as webhook, smtp_receiver() as mailbox:
        yield AlertDesk(webhook, mailbox)
