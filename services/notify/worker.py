"""The delivery loop: escalates unacknowledged alerts, claims what the outbox holds for a lease,
sends it (webhook, e-mail) and settles each attempt (retry with backoff, or final). Pending
deliveries are rows, so a restart or a receiver that is down delays them and loses none; the
events of escalations and settled deliveries are written with them, for the event relay."""

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiosmtplib
import httpx

from services.notify.alerts import AlertService
from services.notify.mail import send_mail
from services.notify.outbox import Outbox, Sent
from services.notify.settings import NotifySettings
from services.notify.tables import Delivery
from services.notify.webhook import deliver
from services.shared.clock import Clock
from services.shared.logs import fields

log = logging.getLogger(__name__)


# Compared by identity, and never printed: its settings hold the SMTP password.
@dataclass(eq=False, repr=False)
class DeliveryWorker:
    alerts: AlertService
    outbox: Outbox
    settings: NotifySettings
    client: httpx.AsyncClient
    clock: Clock
    # Set when new deliveries are planned: no poll delay.
    wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    async def run(self) -> None:
        while True:
            try:
                await self.step()
            except Exception:  # a database or broker hiccup: the rows are still there
                log.exception("delivery step failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.settings.poll_seconds)
            self.wake.clear()

    async def step(self) -> None:
        now, wall = self.clock.now(), datetime.now(UTC)
        for escalated in await asyncio.to_thread(self.alerts.escalate_due, now, wall):
            log.warning("alert escalated", extra=fields(region=escalated.region.value))
        due = await asyncio.to_thread(self.outbox.claim_due, wall)
        # One delivery's surprise must not leave the others sent but unsettled (sent again).
        outcomes = await asyncio.gather(*(self._send(d) for d in due), return_exceptions=True)
        for sent in outcomes:
            if isinstance(sent, BaseException):
                log.error("delivery failed unexpectedly", extra=fields(error=type(sent).__name__))
                continue  # its claim runs out and it is tried again
            # Its event, once final, goes out through the event relay.
            await asyncio.to_thread(self.outbox.settle, sent, datetime.now(UTC), self.clock.now())

    async def _send(self, delivery: Delivery) -> Sent:
        assert delivery.id is not None
        if delivery.transport == "webhook":
            result = await deliver(
                self.client,
                delivery.address,
                self.settings.webhook_secret.get_secret_value(),
                json.loads(delivery.body),
                attempts=1,
                first_backoff=0.0,
                idempotency_key=delivery.key,
            )
            return Sent(
                delivery.id, result.delivered, result.delivered or result.final, result.detail
            )
        try:
            reply = await send_mail(
                self.settings, delivery.address, delivery.subject, delivery.body, delivery.key
            )
            return Sent(delivery.id, True, True, reply)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Sent(delivery.id, False, False, type(exc).__name__)
