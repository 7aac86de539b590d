"""The one dead-letter writer, for the aiokafka consumers and the Faust agent alike.

A dead letter is the original record, key and value untouched, on the consumer's DLQ topic,
with headers saying what happened: why (`dlq.reason`), which consumer gave up (`dlq.consumer`),
where the record was (`dlq.topic`, `dlq.partition`, `dlq.offset`), when (`dlq.failed_at`,
ISO 8601 UTC) and after how many tries (`dlq.attempts`).

Except the citizen's text: a consumer whose service may not read it (schemas/access.py) never
copies it into its DLQ, should a record carrying it ever reach that consumer. A JSON value
loses its text fields (`dlq.value: redacted`); a value that is not JSON, which could hold
anything, is dropped (`dlq.value: removed`). A DLQ topic lives no longer than its sources
(schemas/topics.py), so what triage's DLQ holds expires with contacts.received.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from schemas.access import principals_allowed
from schemas.topics import TOPICS, Consumer
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


# Fields whose value is the citizen's own words (schemas/events.py: ContactReceived.text).
CITIZEN_TEXT_FIELDS = frozenset({"text"})


def may_read_citizen_text(service: str) -> bool:
    """Whether the service's principal may read a topic that carries the citizen's text."""
    carrying = (
        t for t in TOPICS if any(CITIZEN_TEXT_FIELDS & e.model_fields.keys() for e in t.events)
    )
    return any(service in principals_allowed("topic", t.name, "Read") for t in carrying)


def without_citizen_text(value: bytes | None) -> tuple[bytes | None, str | None]:
    """The value as a DLQ of a service without the right to the text may keep it, and what was
    done (None: nothing to remove)."""
    if value is None:
        return None, None
    try:
        data = json.loads(value)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "removed"
    if not isinstance(data, dict):
        return None, "removed"
    if not CITIZEN_TEXT_FIELDS & data.keys():
        return value, None
    kept = {k: v for k, v in data.items() if k not in CITIZEN_TEXT_FIELDS}
    return json.dumps(kept, ensure_ascii=False).encode(), "redacted"


class DeadLetterWriter:
    """Writes one consumer's dead letters to its DLQ topic (created with every registry topic by
    `pkc topics create` and the KafkaTopic manifests: a consumer never creates its own)."""

    def __init__(self, consumer: Consumer, send: SendRaw):
        self.consumer = consumer
        self._send = send
        self._keeps_text = may_read_citizen_text(consumer.service)
        self.written = 0

    async def write(self, record: SourceRecord, reason: str, attempts: int) -> None:
        headers = dead_letter_headers(self.consumer, record, reason, attempts, datetime.now(UTC))
        value = record.value
        if not self._keeps_text:
            value, done = without_citizen_text(value)
            if done is not None:
                headers.append(("dlq.value", done.encode()))
        await self._send(self.consumer.dead_letter.name, value, record.key, headers)
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
