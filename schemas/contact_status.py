"""What a channel adapter learns about a contact it posted: the body of `GET /contacts/{id}` and
of every status callback intake delivers to the adapter (docs/adapters.md).

Not an event: it travels over HTTP to the adapter that posted the contact, never on Kafka. It
carries no citizen text, no name, no number: only the platform's decisions about the contact
and what to tell the citizen, in Swedish and English. Versioned like the events
(`status_type`, `schema_version`); `sequence` counts the contact's changes, so an adapter that
gets two callbacks out of order keeps the one with the higher number.
"""

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.enums import Channel, MatterType, NeedCategory, Region, Route

# received → classified → queued → answered → case → closed; or abandoned. A later stage
# never goes back to an earlier one.
Stage = Literal["received", "classified", "queued", "answered", "case", "closed", "abandoned"]
InstructionKind = Literal["call_112", "use_e_service", "closed_for_opening_hours", "timed_out"]


class Instruction(BaseModel):
    """What the adapter tells the citizen, ready to say or show, with why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: InstructionKind
    sv: str = Field(description="in Swedish")
    en: str = Field(description="in English")


class EServiceLink(BaseModel):
    """The polisen.se e-service that can take the matter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="triage's name for it (rules.yaml `e_service`)")
    url: str
    title_sv: str
    title_en: str


class ContactStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    STATUS_TYPE: ClassVar[str] = "ContactStatus"
    SCHEMA_VERSION: ClassVar[int] = 1

    status_type: Literal["ContactStatus"] = "ContactStatus"
    schema_version: Literal[1] = 1
    contact_id: UUID
    sequence: int = Field(ge=1, description="the contact's number of changes: higher is newer")
    stage: Stage
    changed_at: AwareDatetime
    region: Region
    channel: Channel
    category: NeedCategory | None = Field(default=None, description="the need category")
    matter: MatterType | None = None
    route: Route | None = None
    e_service: EServiceLink | None = Field(
        default=None, description="set when an e-service can take the matter, by any channel"
    )
    position: int | None = Field(default=None, ge=1, description="place in the queue, if known")
    estimated_wait_seconds: float | None = Field(default=None, ge=0)
    case_number: str | None = None
    reason: str | None = Field(
        default=None,
        description="why it ended: hung_up, timeout, closed (abandoned); redirected_to_112 "
        "or the operator's outcome (closed)",
    )
    opens_at: AwareDatetime | None = Field(
        default=None, description="abandoned while closed: when the queue opens next"
    )
    instruction: Instruction | None = None
