"""The callback sender: claims due status changes from the outbox, POSTs each to its adapter's
URL signed with the adapter's secret, and settles the attempt. At least once: a change stays
pending until its adapter answers 2xx (a restart or an adapter that is down only delays it);
a 4xx other than 408/429 is the adapter refusing it for good, recorded and not retried."""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from services.intake.callback_store import Attempt, CallbackStore, Claimed
from services.intake.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign
from services.shared.logs import fields

log = logging.getLogger(__name__)
RETRIED_4XX = (408, 429)


def outcome_of(claimed: Claimed, status_code: int) -> Attempt:
    """What one HTTP answer means for the delivery."""
    detail = f"HTTP {status_code}"
    if 200 <= status_code < 300:
        return Attempt(claimed.delivery_id, True, True, detail)
    refused = 400 <= status_code < 500 and status_code not in RETRIED_4XX
    return Attempt(claimed.delivery_id, False, refused, detail)


@dataclass(eq=False)
class CallbackSender:
    store: CallbackStore
    client: httpx.AsyncClient
    poll_seconds: float = 1.0
    timeout_seconds: float = 10.0
    # Set when a change is planned: sent at once, not at the next poll.
    wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    async def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                await self.step()
            except Exception as exc:  # a database hiccup: the rows are still there
                log.warning("callback step failed", extra=fields(error=type(exc).__name__))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll_seconds)

    async def step(self) -> int:
        """One round: every due change sent once and settled; how many were sent."""
        due = await asyncio.to_thread(self.store.claim_due, datetime.now(UTC))
        attempts = await asyncio.gather(*(self._send(c) for c in due), return_exceptions=True)
        for attempt in attempts:
            if isinstance(attempt, BaseException):
                log.error(
                    "callback failed unexpectedly", extra=fields(error=type(attempt).__name__)
                )
                continue  # its lease runs out and it is tried again
            await asyncio.to_thread(self.store.settle, attempt, datetime.now(UTC))
        return len(due)

    async def _send(self, claimed: Claimed) -> Attempt:
        if claimed.url is None or claimed.secret is None:
            return Attempt(claimed.delivery_id, False, True, "no callback registered")
        body = claimed.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(claimed.secret, int(time.time()), body),
            IDEMPOTENCY_HEADER: claimed.key,
        }
        try:
            response = await self.client.post(
                claimed.url, content=body, headers=headers, timeout=self.timeout_seconds
            )
        except httpx.InvalidURL:
            return Attempt(claimed.delivery_id, False, True, "invalid URL")
        except httpx.HTTPError as exc:
            return Attempt(claimed.delivery_id, False, False, type(exc).__name__)
        return outcome_of(claimed, response.status_code)
