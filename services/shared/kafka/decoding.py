"""Decoding a consumed record into its event, told its type by the record's header."""

from collections.abc import Iterable, Mapping
from typing import TypeAlias

from aiokafka import ConsumerRecord

from schemas.codec import decode_event
from schemas.envelope import Event

Record: TypeAlias = ConsumerRecord[bytes, bytes]
# A record's headers as aiokafka gives them (pairs), or as a Faust message may hold them (a map).
Headers: TypeAlias = Iterable[tuple[str, bytes | None]] | Mapping[str, bytes | None] | None


def decode(record: Record) -> Event:
    """The codec's decode_event, given the type the record names in its `event_type` header
    (EventProducer sets it), so the value is not searched for it. A wrong header costs nothing
    but time: the codec then reads the type from the value, upcasts or gives the reason."""
    return decode_value(record.value, record.headers)


def decode_value(value: bytes | None, headers: Headers) -> Event:
    """`decode` of a value and the headers it came with (a Faust agent's record)."""
    return decode_event(value, _named(headers))


def _named(headers: Headers) -> str | None:
    """The type the `event_type` header names; None without one, or with a null value (Kafka
    allows one: the value is searched then, as for a record without the header)."""
    if isinstance(headers, Mapping):
        named = headers.get("event_type")
    else:
        named = next((value for name, value in headers or () if name == "event_type"), None)
    return named.decode(errors="replace") if isinstance(named, bytes) else None
