"""Writing an event as its record: what every producer of the platform puts on Kafka, the
reading side of which is decoding.py."""

from typing import NamedTuple

from schemas.envelope import Event
from schemas.topics import Topic
from services.shared.tracing import inject_headers


class EventRecord(NamedTuple):
    key: bytes  # the topic's key field: what ordering is kept by
    value: bytes
    headers: list[tuple[str, bytes]]  # the event's type (read before the value), the trace


def record_of(event: Event, topic: Topic, wire: bytes | None = None) -> EventRecord:
    """`wire`: the event's bytes when the caller holds them already (an outbox row's JSON, a
    replayed line, as `to_json` writes them), sent as they are, not written again."""
    headers = inject_headers([("event_type", event.EVENT_TYPE.encode())])
    value = event.to_json() if wire is None else wire
    return EventRecord(topic.key_of(event), value, headers)
