"""Typed Kafka I/O: a durable event producer and a consumer loop with dead-lettering.

At-least-once: offsets are committed only after a record was handled or dead-lettered, so a crash
replays it; handlers are idempotent on event_id. A record that does not decode, or whose handler
still fails after bounded retries, goes to the consumer's DLQ with the reason, and the partition
moves on.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from opentelemetry import trace

from schemas.codec import UndecodableEvent, decode_event
from schemas.envelope import Event
from schemas.topics import Consumer, Topic, topic_for
from services.shared.logs import fields
from services.shared.tracing import consumer_span, inject_headers, record_attributes

log = logging.getLogger(__name__)

# A handler may return the broker acks of what it published instead of awaiting them: the
# consumer awaits them all before it commits the batch, so a partition's records are pipelined
# instead of costing one broker round trip each.
Handler = Callable[[Event], Awaitable[Awaitable[Any] | None]]


class PermanentError(Exception):
    """A handler's verdict that retrying cannot help: dead-letter at once. Message must be safe."""


class EventProducer:
    """acks=all and idempotence: a completed `publish` means the event is durably in Kafka."""

    def __init__(self, bootstrap: str, client_id: str):
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._client: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka clients bind to the running loop, so they are built here, not in __init__.
        self._client = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            request_timeout_ms=30000,
        )
        await self._client.start()

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.stop()
            self._client = None

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._client is None:
            raise RuntimeError("EventProducer used before start()")
        return self._client

    async def publish(self, event: Event, topic: Topic | None = None) -> None:
        await (await self.enqueue(event, topic))

    async def enqueue(self, event: Event, topic: Topic | None = None) -> "asyncio.Future[Any]":
        """Hands the event to the batch sender; await the returned future for the broker's ack."""
        topic = topic or topic_for(event)
        headers = inject_headers([("event_type", event.EVENT_TYPE.encode())])
        future: asyncio.Future[Any] = await self._producer.send(
            topic.name,
            value=event.to_json(),
            key=topic.key_of(event),
            headers=headers,
            # The record keeps the producer's wall-clock timestamp. Event time is in the payload
            # (occurred_at), which is what every window reads; stamping records with event time
            # would make retention delete a replayed past month at once, and Kafka refuses
            # timestamps over an hour ahead (a simulated clock can be).
        )
        return future

    async def send_raw(
        self, topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        await self._producer.send_and_wait(topic, value=value, key=key, headers=headers)


class EventConsumer:
    """Runs `handler` for every event on the consumer's topics, in partition order."""

    def __init__(
        self,
        spec: Consumer,
        bootstrap: str,
        handler: Handler,
        producer: EventProducer,
        *,
        max_attempts: int = 3,
        first_backoff: float = 0.2,
    ):
        self.spec = spec
        self._handler = handler
        self._producer = producer
        self._max_attempts = max_attempts
        self._first_backoff = first_backoff
        self._bootstrap = bootstrap
        self.handled = 0
        self.dead_lettered = 0
        self.committed = 0  # records whose offsets are committed: done for good
        self.assigned = asyncio.Event()

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            *(t.name for t in self.spec.topics),
            bootstrap_servers=self._bootstrap,
            group_id=self.spec.group,
            client_id=f"pkc-{self.spec.service}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
        )
        try:
            await consumer.start()  # inside the try: a cancel while joining still closes it
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=500)
                if consumer.assignment():
                    self.assigned.set()
                for partition, records in batch.items():
                    unacked: list[tuple[ConsumerRecord[bytes, bytes], Event, Awaitable[Any]]] = []
                    for record in records:
                        await self._process(record, unacked)
                    await self._settle(unacked)
                    await consumer.commit({partition: records[-1].offset + 1})
                    self.committed += len(records)
        finally:
            await consumer.stop()

    async def _process(
        self,
        record: ConsumerRecord[bytes, bytes],
        unacked: list[tuple[ConsumerRecord[bytes, bytes], Event, Awaitable[Any]]],
    ) -> None:
        attributes = record_attributes(record.topic, record.partition, record.offset)
        with consumer_span(f"{record.topic} process", record.headers, attributes) as span:
            try:
                event = decode_event(record.value)
            except UndecodableEvent as exc:
                await self._dead_letter(record, str(exc))
                return
            span.set_attribute("pkc.event_type", event.EVENT_TYPE)
            contact_id = getattr(event, "contact_id", None)
            if contact_id is not None:  # a random id, never personal data
                span.set_attribute("pkc.contact_id", str(contact_id))
            reason, acks = await self._handle_with_retries(event, defer_acks=True)
            if acks is not None:
                unacked.append((record, event, acks))
            if reason is None:
                self.handled += 1
            else:
                span.set_status(trace.StatusCode.ERROR, reason)
                await self._dead_letter(record, reason)

    async def _settle(
        self, unacked: list[tuple[ConsumerRecord[bytes, bytes], Event, Awaitable[Any]]]
    ) -> None:
        """Awaits the batch's deferred acks; a record whose publishing failed is handled again,
        awaiting each ack, with the usual retries and dead-lettering."""
        for record, event, acks in unacked:
            try:
                await acks
            except Exception:
                reason, _ = await self._handle_with_retries(event, defer_acks=False)
                if reason is not None:
                    await self._dead_letter(record, reason)

    async def _handle_with_retries(
        self, event: Event, defer_acks: bool
    ) -> tuple[str | None, Awaitable[Any] | None]:
        """(why it failed or None, the acks still to await when deferred)."""
        delay = self._first_backoff
        for attempt in range(1, self._max_attempts + 1):
            try:
                acks = await self._handler(event)
                if acks is not None and not defer_acks:
                    await acks
                    acks = None
                return None, acks
            except PermanentError as exc:
                return f"rejected: {exc}", None
            except Exception as exc:
                if attempt == self._max_attempts:
                    reason = f"failed after {attempt} attempts: {type(exc).__name__}: {exc}"
                    return reason[:500], None
                log.warning(
                    "handler failed, retrying",
                    extra=fields(
                        event_type=event.EVENT_TYPE, attempt=attempt, error=type(exc).__name__
                    ),
                )
                await asyncio.sleep(delay)
                delay *= 2
        return "unreachable", None

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        headers = [
            ("dlq.reason", reason.encode()),
            ("dlq.consumer", self.spec.group.encode()),
            ("dlq.topic", record.topic.encode()),
            ("dlq.partition", str(record.partition).encode()),
            ("dlq.offset", str(record.offset).encode()),
            ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        await self._producer.send_raw(self.spec.dead_letter.name, record.value, record.key, headers)
        self.dead_lettered += 1
        log.warning(
            "record dead-lettered",
            extra=fields(
                topic=record.topic, partition=record.partition, offset=record.offset, reason=reason
            ),
        )
