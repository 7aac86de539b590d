"""Decoding a consumed record into its event, told its type by the record's header."""

from typing import TypeAlias

from aiokafka import ConsumerRecord

from schemas.codec import decode_event
from schemas.envelope import Event

Record: TypeAlias = ConsumerRecord[bytes, bytes]


def decode(record: Record) -> Event:
    """The codec's decode_event, given the type the record names in its `event_type` header
    (EventProducer sets it), so the value is not searched for it. A wrong header costs nothing
    but time: the codec then reads the type from the value, upcasts or gives the reason."""
    named = None
    for name, value in record.headers or ():
        if name == "event_type":
            named = value.decode(errors="replace")
            break
    return decode_event(record.value, named)
