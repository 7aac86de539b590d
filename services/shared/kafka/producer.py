"""The durable event producer: every service's way of putting events on Kafka."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

from schemas.envelope import Event
from schemas.topics import Topic, topic_for
from services.shared.kafka.bulk import BulkSends
from services.shared.kafka.encoding import record_of
from services.shared.kafka.partitioning import partition_for
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity
from services.shared.kafka_tuning import DEFAULT_TUNING, ProducerTuning


class EventProducer:
    """acks=all and idempotence: a completed `publish` means the event is durably in Kafka.
    Records linger a few ms to share requests and go compressed (`tuning`)."""

    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        security: KafkaSecurity = PLAINTEXT,
        tuning: ProducerTuning = DEFAULT_TUNING,
    ):
        self._bootstrap = bootstrap
        self._client_id = client_id
        self.security = security  # the service's principal; its consumers sign in with it too
        self.tuning = tuning
        self._client: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka clients bind to the running loop, so they are built here, not in __init__.
        self._client = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            request_timeout_ms=30000,
            partitioner=partition_for,
            **self.tuning.client_kwargs(),
            **self.security.client_kwargs(),
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

    def bulk(self) -> BulkSends:
        """A bulk writer on this producer: one batch per partition handed over whole (bulk.py),
        for millions of events that nobody waits on one by one."""
        return BulkSends(self._producer)

    async def publish(self, event: Event, topic: Topic | None = None) -> None:
        await (await self.enqueue(event, topic))

    async def enqueue(
        self, event: Event, topic: Topic | None = None, *, wire: bytes | None = None
    ) -> "asyncio.Future[Any]":
        """Hands the event to the batch sender; await the returned future for the broker's ack.
        `wire`: as for `record_of`."""
        topic = topic or topic_for(event)
        record = record_of(event, topic, wire)
        future: asyncio.Future[Any] = await self._producer.send(
            topic.name,
            value=record.value,
            key=record.key,
            headers=record.headers,
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
