"""The one dead-letter writer, for the aiokafka consumers and the Faust agent alike.

A dead letter is the original record, key and value untouched, on the consumer's DLQ topic,
with headers saying what happened: why (`dlq.reason`), which consumer gave up (`dlq.consumer`),
where the record was (`dlq.topic`, `dlq.partition`, `dlq.offset`), when (`dlq.failed_at`,
ISO 8601 UTC) and after how many tries (`dlq.attempts`).
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from schemas.topics import Consumer
from services.shared.logs import fields

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]
# (topic, value, key, headers): EventProducer.send_raw, or an adapter to Faust's producer.
SendRaw = Callable[[str, bytes | None, bytes | None, Headers], Awaitable[None]]


class SourceRecord(Protocol):
    """A consumed record: aiokafka's ConsumerRecord and Faust's Message both are one."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


def dead_letter_headers(
    consumer: Consumer, record: SourceRecord, reason: str, attempts: int, failed_at: datetime
) -> Headers:
    return [
        ("dlq.reason", reason.encode()),
        ("dlq.consumer", consumer.group.encode()),
        ("dlq.topic", record.topic.encode()),
        ("dlq.partition", str(record.partition).encode()),
        ("dlq.offset", str(record.offset).encode()),
        ("dlq.failed_at", failed_at.isoformat().encode()),
        ("dlq.attempts", str(attempts).encode()),
    ]


class DeadLetterWriter:
    """Writes one consumer's dead letters to its DLQ topic (created with every registry topic by
    `pkc topics create` and the KafkaTopic manifests: a consumer never creates its own)."""

    def __init__(self, consumer: Consumer, send: SendRaw):
        self.consumer = consumer
        self._send = send
        self.written = 0

    async def write(self, record: SourceRecord, reason: str, attempts: int) -> None:
        headers = dead_letter_headers(self.consumer, record, reason, attempts, datetime.now(UTC))
        await self._send(self.consumer.dead_letter.name, record.value, record.key, headers)
        self.written += 1
        log.warning(
            "record dead-lettered",
            extra=fields(
                consumer=self.consumer.group,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                reason=reason,
                attempts=attempts,
            ),
        )
