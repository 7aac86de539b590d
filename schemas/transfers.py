"""A contact handed on by the operator who answered it: to another queue of the region, to
another region's queue, or to 112 (schemas/events.py is full; this is its own module).

How the service level counts a transfer (docs/services/queueing.md, *Transfers*): the wait in
the first queue ended with its answer, counted there like every answer. A transfer to a queue
starts a new wait in the receiving queue, which queueing publishes as a `Queued` of the
receiving region (received at the transfer) and then that wait's `Answered` or `Abandoned`:
each queue a call waits in counts that wait. A transfer to 112 starts no wait.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.bases import ContactEvent
from schemas.enums import NeedCategory, QueueName, Region
from schemas.envelope import Event

__all__ = ["TRANSFER_EVENTS", "Transferred"]


class Transferred(ContactEvent):
    """The operator holding an answered contact handed it on with a new need category:
    `region` is where it was answered, `to_region` and `to_queue` where it waits now (None
    for 112)."""

    event_type: Literal["Transferred"] = "Transferred"
    schema_version: Literal[1] = 1
    destination: Literal["queue", "112"] = Field(description="a queue, or 112 (it ends here)")
    from_queue: QueueName
    from_category: NeedCategory
    category: NeedCategory = Field(description="the need category the operator gave it")
    to_region: Region | None = Field(description="None when handed to 112")
    to_queue: QueueName | None = Field(description="None when handed to 112")
    priority: Annotated[int, Field(ge=1, le=5)] | None = Field(
        description="its priority in the receiving queue (1 is the most urgent); None for 112"
    )
    received_at: AwareDatetime = Field(description="when the contact first reached the centre")
    operator_id: str = Field(description="the transferring operator's token subject")
    handling_seconds: float = Field(ge=0, description="from the answer to the transfer")


# The events of this module, for the codec (schemas/codec.py) beside events.ALL_EVENTS.
TRANSFER_EVENTS: tuple[type[Event], ...] = (Transferred,)
