"""Every event of the platform, one immutable model each, named in the past tense.

Personal data is minimised: only ContactReceived carries the citizen's own words (triage needs
them); no event carries names, phone numbers or personal identity numbers as fields.
"""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.enums import Channel, MatterType, NeedCategory, QueueName, Region, Route
from schemas.envelope import Event

MAX_TEXT_CHARS = 10_000
Priority = Annotated[int, Field(ge=1, le=5, description="1 is the most urgent")]
Seconds = Annotated[float, Field(ge=0)]


class ContactReceived(Event):
    """A channel adapter handed a contact to intake, and intake accepted it."""

    event_type: Literal["ContactReceived"] = "ContactReceived"
    schema_version: Literal[1] = 1
    contact_id: UUID
    region: Region
    channel: Channel
    source: str = Field(min_length=1, max_length=64, description="the adapter that sent it")
    text: str = Field(
        default="",
        max_length=MAX_TEXT_CHARS,
        description="the citizen's words; personal data possible, read by triage only",
    )


class Classified(Event):
    """Triage decided what the citizen needs and where the contact belongs."""

    event_type: Literal["Classified"] = "Classified"
    schema_version: Literal[1] = 1
    contact_id: UUID
    region: Region
    channel: Channel
    received_at: AwareDatetime
    category: NeedCategory
    matter: MatterType
    priority: Priority
    route: Route
    e_service: str | None = Field(default=None, description="which e-service can take it")
    e_service_capable: bool = False
    rule_id: str
    rules_version: str
    matched: tuple[str, ...] = Field(default=(), description="the rule phrases that matched")


class Queued(Event):
    """A contact entered a region's operator queue."""

    event_type: Literal["Queued"] = "Queued"
    schema_version: Literal[1] = 1
    contact_id: UUID
    region: Region
    queue: QueueName
    channel: Channel
    category: NeedCategory
    priority: Priority
    received_at: AwareDatetime
    outside_service_hours: bool = False
    e_service_capable: bool = False


class Answered(Event):
    """An operator answered a queued contact; `wait_seconds` runs from `received_at`."""

    event_type: Literal["Answered"] = "Answered"
    schema_version: Literal[1] = 1
    contact_id: UUID
    region: Region
    channel: Channel
    category: NeedCategory
    received_at: AwareDatetime
    wait_seconds: Seconds
    operator_id: str
    operator_region: Region


class Abandoned(Event):
    """The citizen hung up (or the contact timed out) before an operator answered."""

    event_type: Literal["Abandoned"] = "Abandoned"
    schema_version: Literal[1] = 1
    contact_id: UUID
    region: Region
    channel: Channel
    category: NeedCategory
    received_at: AwareDatetime
    wait_seconds: Seconds


class CaseCreated(Event):
    """A case (ärende) was opened, by an operator's report or automatically from an e-service."""

    event_type: Literal["CaseCreated"] = "CaseCreated"
    schema_version: Literal[1] = 1
    case_id: UUID
    contact_id: UUID
    region: Region
    case_number: str
    matter: MatterType
    created_by: Literal["operator", "e_service"]


class SlaWindow(BaseModel):
    """The counts of one region's rolling window; every SL formula can be derived from them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: AwareDatetime
    end: AwareDatetime
    offered: int = 0
    answered_within: int = 0
    answered_late: int = 0
    abandoned: int = 0
    share: float | None = Field(default=None, description="answered within 600 s / handled")


class SlaStatus(Event):
    """A region's service level after a window step."""

    event_type: Literal["SlaStatus"] = "SlaStatus"
    schema_version: Literal[1] = 1
    region: Region
    window: SlaWindow
    in_breach: bool


class SlaBreached(Event):
    """A region fell below target: one per episode."""

    event_type: Literal["SlaBreached"] = "SlaBreached"
    schema_version: Literal[1] = 1
    region: Region
    episode_id: UUID
    window: SlaWindow
    target: float


class SlaRecovered(Event):
    """A region's breach episode ended."""

    event_type: Literal["SlaRecovered"] = "SlaRecovered"
    schema_version: Literal[1] = 1
    region: Region
    episode_id: UUID
    window: SlaWindow
    target: float


class AlertDelivered(Event):
    """Notify delivered (or finally failed to deliver) an alert to an on-call receiver."""

    event_type: Literal["AlertDelivered"] = "AlertDelivered"
    schema_version: Literal[1] = 1
    region: Region
    alert_id: UUID
    cause_event_id: UUID
    transport: Literal["webhook", "email"]
    delivered: bool
    attempts: int = Field(ge=1)
    detail: str = ""
