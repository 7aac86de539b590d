"""The event-at-a-time consumer of triage, queueing and notify: a handler per event, and for
the events a service takes in bulk (queueing's classified contacts) a handler per batch."""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace

from schemas.envelope import Event
from schemas.topics import Consumer
from services.shared.kafka.batching import GATHERING, Batching
from services.shared.kafka.consumer import BatchConsumer, Positions
from services.shared.kafka.decoding import Record
from services.shared.kafka.producer import EventProducer
from services.shared.kafka.retry import DEFAULT_RETRY, Failure, RetryPolicy
from services.shared.tracing import current_traceparent, resumed, tag_event

log = logging.getLogger(__name__)

# A handler may return the broker acks of what it published instead of awaiting them: the
# consumer awaits them all before it commits the batch, so a partition's records are pipelined
# instead of costing one broker round trip each.
Handler = Callable[[Event], Awaitable[Awaitable[Any] | None]]


@dataclass(frozen=True)
class Gathered:
    """An event kept for its batch's handler, with the trace of the record it came in (the
    batch is handled after that record's span has ended)."""

    record: Record
    event: Event
    traceparent: str | None


@dataclass(frozen=True)
class BulkHandler:
    """The events `wants` picks are handled together by `handle_all` (one database transaction
    for a batch's worth instead of one each), in their order. A batch that keeps failing for a
    reason that is not an outage is handed to the per-event handler one event at a time, so
    only an event that fails on its own is dead-lettered."""

    wants: Callable[[Event], bool]
    handle_all: Callable[[Sequence[Gathered]], Awaitable[None]]


@dataclass(frozen=True)
class _Unacked:
    record: Record
    event: Event
    acks: Awaitable[Any]


@dataclass
class _Work:
    unacked: list[_Unacked] = field(default_factory=list)
    gathered: list[Gathered] = field(default_factory=list)  # for the bulk handler


class EventConsumer(BatchConsumer[_Work]):
    """Runs `handler` for every event on the consumer's topics, in partition order (`bulk`'s
    events a run at a time, before the next event of any other kind); commits a fetch's records
    once every handler's publishing is acknowledged."""

    def __init__(
        self,
        spec: Consumer,
        bootstrap: str,
        handler: Handler,
        producer: EventProducer,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        bulk: BulkHandler | None = None,
        batching: Batching = GATHERING,
    ):
        # One principal per service: the consumer signs in as its producer does.
        super().__init__(
            spec,
            bootstrap,
            producer.send_raw,
            batching=batching,
            retry=retry,
            security=producer.security,
        )
        self._handler = handler
        self._bulk = bulk
        self.handled = 0

    def new_work(self) -> _Work:
        return _Work()

    async def take(self, record: Record, event: Event, work: _Work) -> None:
        span = trace.get_current_span()
        tag_event(span, event.EVENT_TYPE, getattr(event, "contact_id", None))
        if self._bulk is not None and self._bulk.wants(event):
            work.gathered.append(Gathered(record, event, current_traceparent()))
            return
        await self._handle_gathered(work)  # what came before this event is handled before it
        outcome = await self._handle(event, defer_acks=True)
        if isinstance(outcome, Failure):
            span.set_status(trace.StatusCode.ERROR, outcome.reason)
            await self.dead_letters.write(record, outcome.reason, outcome.attempts)
            return
        self.handled += 1
        if outcome is not None:
            work.unacked.append(_Unacked(record, event, outcome))

    async def complete(self, work: _Work, positions: Positions) -> None:
        """Handles what the bulk handler has gathered, then awaits the batch's deferred acks; a
        record whose publishing failed is handled again, awaiting each ack, with the usual
        retries (a broker outage for as long as it lasts) and dead-lettering."""
        await self._handle_gathered(work)
        for unacked in work.unacked:
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

    async def _handle_gathered(self, work: _Work) -> None:
        if self._bulk is None or not work.gathered:
            return
        gathered, work.gathered = work.gathered, []
        handle_all = self._bulk.handle_all
        outcome = await self.retrying(
            lambda: handle_all(gathered), "bulk handler", events=len(gathered)
        )
        if not isinstance(outcome, Failure):
            self.handled += len(gathered)
            return
        for one in gathered:  # the batch keeps failing: find the event that does on its own
            with resumed(one.traceparent):
                alone = await self._handle(one.event, defer_acks=False)
            if isinstance(alone, Failure):
                await self.dead_letters.write(one.record, alone.reason, alone.attempts)
            else:
                self.handled += 1
