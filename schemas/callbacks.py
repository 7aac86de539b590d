"""Callbacks (virtual hold): a caller in a phone queue asked to be called back instead of
holding; the contact keeps its place and, at its turn, an operator calls back. The number is
queueing's alone, kept until the callback is done, and never in an event.

How the service level counts a callback (docs/queues.md, *Callbacks*): as the call it is. Its
wait runs from the call's receipt to the operator reaching the caller (`Answered`, as for any
call); a callback never reached after its tries is `Abandoned` with reason
`callback_unanswered`. `CallbackRequested` marks which contacts were callbacks, so reporting
can count them apart as well.
"""

from typing import Literal

from pydantic import Field

from schemas.bases import ContactEvent
from schemas.envelope import Event

__all__ = ["CALLBACK_EVENTS", "CallbackAttempted", "CallbackRequested"]


class CallbackRequested(ContactEvent):
    """The caller of a waiting phone contact asked to be called back; it keeps its place."""

    event_type: Literal["CallbackRequested"] = "CallbackRequested"
    schema_version: Literal[1] = 1


class CallbackAttempted(ContactEvent):
    """An operator called back and nobody answered: tried again later, or given up after the
    last try (then an `Abandoned` with reason `callback_unanswered` follows)."""

    event_type: Literal["CallbackAttempted"] = "CallbackAttempted"
    schema_version: Literal[1] = 1
    operator_id: str = Field(description="the calling operator's token subject")
    attempt: int = Field(ge=1, description="1 for the first try")
    outcome: Literal["no_answer"] = "no_answer"
    retry: bool = Field(description="whether it will be tried again")


# The events of this module, for the codec (schemas/codec.py).
CALLBACK_EVENTS: tuple[type[Event], ...] = (CallbackRequested, CallbackAttempted)
