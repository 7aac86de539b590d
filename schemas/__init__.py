"""The event contracts of the PKC platform (pydantic v2 models, topic registry, codec)."""

from schemas import events
from schemas.bases import reinforcement_request_id
from schemas.callbacks import CallbackAttempted, CallbackRequested
from schemas.cases import CaseClosed, CaseUpdated
from schemas.codec import EVENT_TYPES, UndecodableEvent, decode_event
from schemas.contact_status import ContactStatus
from schemas.enums import Channel, MatterType, NeedCategory, QueueName, Region, Route
from schemas.envelope import Event
from schemas.events import *  # noqa: F403  every model, named once in events.__all__
from schemas.ratings import ContactRated
from schemas.transfers import Transferred

__all__ = [
    "EVENT_TYPES",
    "CallbackAttempted",
    "CallbackRequested",
    "Channel",
    "ContactRated",
    "Event",
    "MatterType",
    "NeedCategory",
    "QueueName",
    "Region",
    "Route",
    "Transferred",
    "UndecodableEvent",
    "decode_event",
    "reinforcement_request_id",
]
__all__ += events.__all__
__all__ += ["ContactStatus"]
__all__ += ["CaseClosed", "CaseUpdated"]
