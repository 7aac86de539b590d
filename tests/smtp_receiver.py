"""A real SMTP server (aiosmtpd) that keeps the messages it receives (for notify's tests)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Mailbox:
    port: int
    messages: list[Message] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    refusing: bool = False  # tests set True to play a mail server that is down for a while

    def to(self, address: str) -> list[Message]:
        with self.arrived:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, predicate: Any, timeout: float) -> list[Message]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: predicate(self.messages), timeout):
                subjects = [m["Subject"] for m in self.messages]
                raise AssertionError(f"mail condition not met in {timeout} s: {subjects}")
            return list(self.messages)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusing:
            return "451 4.3.0 Try again later"
        with self.arrived:
            self.messages.append(message_from_bytes(envelope.content))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


@contextmanager
def smtp_receiver() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
