"""The event contracts of the PKC platform (pydantic v2 models, topic registry, codec)."""

from schemas.codec import EVENT_TYPES, UndecodableEvent, decode_event
from schemas.enums import Channel, MatterType, NeedCategory, QueueName, Region, Route
from schemas.envelope import Event
from schemas.events import (
    Abandoned,
    AlertDelivered,
    Answered,
    CaseCreated,
    Classified,
    ContactReceived,
    Queued,
    SlaBreached,
    SlaRecovered,
    SlaStatus,
    SlaWindow,
)

__all__ = [
    "EVENT_TYPES",
    "Abandoned",
    "AlertDelivered",
    "Answered",
    "CaseCreated",
    "Channel",
    "Classified",
    "ContactReceived",
    "Event",
    "MatterType",
    "NeedCategory",
    "QueueName",
    "Queued",
    "Region",
    "Route",
    "SlaBreached",
    "SlaRecovered",
    "SlaStatus",
    "SlaWindow",
    "UndecodableEvent",
    "decode_event",
]
