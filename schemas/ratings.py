"""A citizen's rating of an answered contact (issue 16, satisfaction; schemas/events.py is full,
so this is its own module).

The adapter that posted the contact may post one rating of 1-5 and a comment after the contact
was answered. The comment is not carried: free text may name people or give a number, and no
scrubber catches every name, so the event says only whether there was one (`commented`). The
monthly follow-up counts ratings per region and channel in the month of the contact's receipt.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.bases import ContactEvent
from schemas.envelope import Event

__all__ = ["RATING_EVENTS", "ContactRated", "Rating"]

Rating = Annotated[int, Field(ge=1, le=5, description="1 (very poor) to 5 (very good)")]


class ContactRated(ContactEvent):
    """The citizen rated a contact; `region` and `channel` are those of the contact."""

    event_type: Literal["ContactRated"] = "ContactRated"
    schema_version: Literal[1] = 1
    rating: Rating
    commented: bool = Field(
        default=False, description="a comment was given; its text is never carried"
    )
    received_at: AwareDatetime = Field(description="when the rated contact was received")


# The events of this module, for the codec (schemas/codec.py) beside events.ALL_EVENTS.
RATING_EVENTS: tuple[type[Event], ...] = (ContactRated,)
