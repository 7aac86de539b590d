"""The event-at-a-time consumer of triage, queueing and notify: a handler per event."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace

from schemas.envelope import Event
from schemas.topics import Consumer
from services.shared.kafka.consumer import BatchConsumer, Batching, Positions
from services.shared.kafka.decoding import Record
from services.shared.kafka.producer import EventProducer
from services.shared.kafka.retry import DEFAULT_RETRY, Failure, RetryPolicy

log = logging.getLogger(__name__)

# A handler may return the broker acks of what it published instead of awaiting them: the
# consumer awaits them all before it commits the batch, so a partition's records are pipelined
# instead of costing one broker round trip each.
Handler = Callable[[Event], Awaitable[Awaitable[Any] | None]]


@dataclass(frozen=True)
class _Unacked:
    record: Record
    event: Event
    acks: Awaitable[Any]


class EventConsumer(BatchConsumer[list[_Unacked]]):
    """Runs `handler` for every event on the consumer's topics, in partition order; commits a
    fetch's records once every handler's publishing is acknowledged."""

    def __init__(
        self,
        spec: Consumer,
        bootstrap: str,
        handler: Handler,
        producer: EventProducer,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
    ):
        # One principal per service: the consumer signs in as its producer does.
        super().__init__(
            spec,
            bootstrap,
            producer.send_raw,
            batching=Batching(),
            retry=retry,
            security=producer.security,
        )
        self._handler = handler
        self.handled = 0

    def new_work(self) -> list[_Unacked]:
        return []

    async def take(self, record: Record, event: Event, work: list[_Unacked]) -> None:
        span = trace.get_current_span()
        span.set_attribute("pkc.event_type", event.EVENT_TYPE)
        contact_id = getattr(event, "contact_id", None)
        if contact_id is not None:  # a random id, never personal data
            span.set_attribute("pkc.contact_id", str(contact_id))
        outcome = await self._handle(event, defer_acks=True)
        if isinstance(outcome, Failure):
            span.set_status(trace.StatusCode.ERROR, outcome.reason)
            await self.dead_letters.write(record, outcome.reason, outcome.attempts)
            return
        self.handled += 1
        if outcome is not None:
            work.append(_Unacked(record, event, outcome))

    async def complete(self, work: list[_Unacked], positions: Positions) -> None:
        """Awaits the batch's deferred acks; a record whose publishing failed is handled again,
        awaiting each ack, with the usual retries (a broker outage for as long as it lasts)
        and dead-lettering."""
        for unacked in work:
            try:
                await unacked.acks
            except Exception:
                outcome = await self._handle(unacked.event, defer_acks=False)
                if isinstance(outcome, Failure):
                    await self.dead_letters.write(unacked.record, outcome.reason, outcome.attempts)

    async def _handle(self, event: Event, defer_acks: bool) -> Awaitable[Any] | Failure | None:
        """The acks still to await when deferred (else None), or why the handler gave up."""

        async def once() -> Awaitable[Any] | None:
            acks = await self._handler(event)
            if acks is not None and not defer_acks:
                await acks
                return None
            return acks

        return await self.retrying(once, "handler", event_type=event.EVENT_TYPE)
