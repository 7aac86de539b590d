"""A case's life after `CaseCreated` (schemas/events.py is full; this is its own module): what
an operator or the citizen added to it, and its closing. Queueing keeps the case's status and
publishes these from its outbox (docs/cases.md).

They travel on the cases topic beside `CaseCreated`, keyed by `case_id`, so a reader sees one
case's events in the order they happened. Neither carries text: an operator's note and the
citizen's information stay in queueing's database (the note with the case, the citizen's words
only as long as the contact they became), and no event names the citizen.
"""

from typing import Literal
from uuid import UUID

from pydantic import Field

from schemas.enums import Region
from schemas.envelope import Event

__all__ = ["CASE_EVENTS", "CLOSE_REASONS", "CaseClosed", "CaseUpdated", "CloseReason"]

CloseReason = Literal["handled", "referred", "withdrawn", "duplicate"]
CLOSE_REASONS: tuple[CloseReason, ...] = ("handled", "referred", "withdrawn", "duplicate")


class CaseUpdated(Event):
    """Something was added to an open case: an operator's note, or information the citizen
    sent with the case's secret (which also became a contact in the region's queue)."""

    event_type: Literal["CaseUpdated"] = "CaseUpdated"
    schema_version: Literal[1] = 1
    case_id: UUID
    case_number: str
    region: Region
    kind: Literal["note", "information"]
    by: Literal["operator", "citizen"] = Field(description="who added it")
    operator_id: str | None = Field(
        default=None, description="the operator's token subject (notes); None for the citizen"
    )
    visible_to_citizen: bool = Field(
        default=False, description="a note the citizen sees when following the case"
    )
    contact_id: UUID | None = Field(
        default=None, description="the contact the citizen's information became (information)"
    )


class CaseClosed(Event):
    """An operator or supervisor closed the case; the citizen sees it closed, with the reason."""

    event_type: Literal["CaseClosed"] = "CaseClosed"
    schema_version: Literal[1] = 1
    case_id: UUID
    case_number: str
    region: Region
    reason: CloseReason = Field(
        description="handled, referred (to an investigation), withdrawn (by the citizen), "
        "duplicate (of another case)"
    )
    operator_id: str = Field(description="the closing person's token subject")


# The events of this module, for the codec (schemas/codec.py) beside events.ALL_EVENTS.
CASE_EVENTS: tuple[type[Event], ...] = (CaseUpdated, CaseClosed)
