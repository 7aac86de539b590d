"""Every event of the platform, one immutable model each, named in the past tense.

Personal data is minimised: only ContactReceived carries the citizen's own words (triage needs
them); no event carries names, phone numbers or personal identity numbers as fields.
"""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.bases import (
    AlertEvent,
    ArrivingContactEvent,
    ContactEvent,
    EpisodeEdge,
    EpisodeEvent,
    OrderEvent,
    Seconds,
    SlaWindow,
    WaitEnded,
    WindowEvent,
)
from schemas.enums import (
    AlertKind,
    Channel,
    ContactOutcome,
    MatterType,
    NeedCategory,
    QueueName,
    Region,
    Route,
)
from schemas.envelope import Event

# The models `schemas` re-exports (schemas/__init__.py).
__all__ = [
    "Abandoned",
    "AlertAcknowledged",
    "AlertDelivered",
    "AlertEscalated",
    "Answered",
    "CaseCreated",
    "Classified",
    "ContactReceived",
    "ContactResolved",
    "DonorLoan",
    "OperatorPresenceChanged",
    "Queued",
    "RedirectedTo112",
    "ReinforcementEnded",
    "ReinforcementOrdered",
    "ReinforcementRequested",
    "SlaBreachPredicted",
    "SlaBreached",
    "SlaRecovered",
    "SlaStatus",
    "SlaWindow",
]

MAX_TEXT_CHARS = 10_000
Priority = Annotated[int, Field(ge=1, le=5, description="1 is the most urgent")]


class ContactReceived(ArrivingContactEvent):
    """A channel adapter handed a contact to intake, and intake accepted it."""

    event_type: Literal["ContactReceived"] = "ContactReceived"
    schema_version: Literal[1] = 1
    source: str = Field(min_length=1, max_length=64, description="the adapter that sent it")
    text: str = Field(
        default="",
        max_length=MAX_TEXT_CHARS,
        description="the citizen's words; personal data possible, read by triage only",
    )


class Classified(ArrivingContactEvent):
    """Triage decided what the citizen needs and where the contact belongs."""

    event_type: Literal["Classified"] = "Classified"
    schema_version: Literal[1] = 1
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
    # The learned second opinion (docs/triage-model.md); the defaults: rules alone decided.
    decided_by: Literal["rules", "model"] = Field(default="rules", description="model: it raised")
    model_version: str | None = None
    probabilities: dict[NeedCategory, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="the model's probability per need category"
    )
    weighed_words: tuple[str, ...] = Field(default=(), description="of the model's vocabulary")
    possible_emergency: bool = Field(default=False, description="below Nöd, but in doubt")
    low_confidence: bool = Field(default=False, description="unsure, or a text it cannot read")


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
    possible_emergency: bool = Field(default=False, description="triage's flag (Classified)")


class Answered(WaitEnded):
    """An operator answered a queued contact; `wait_seconds` runs from `received_at`."""

    event_type: Literal["Answered"] = "Answered"
    schema_version: Literal[1] = 1
    operator_id: str
    operator_region: Region
    callback: bool = False  # reached by calling back (virtual hold, docs/queues.md)


class Abandoned(WaitEnded):
    """The citizen hung up (or the contact timed out) before an operator answered."""

    event_type: Literal["Abandoned"] = "Abandoned"
    schema_version: Literal[1] = 1
    # Optional with a default: v1 records without it still read (hung_up).
    reason: Literal["hung_up", "timeout", "closed", "callback_unanswered"] = "hung_up"
    outside_service_hours: bool = False
    opens_at: AwareDatetime | None = Field(default=None, description="closed: its next opening")


class ContactResolved(Event):
    """An operator recorded the outcome of an answered contact."""

    event_type: Literal["ContactResolved"] = "ContactResolved"
    schema_version: Literal[1] = 1
    contact_id: UUID
    region: Region
    operator_id: str
    outcome: ContactOutcome
    case_id: UUID | None = None
    handling_seconds: float | None = Field(default=None, ge=0, description="answer to outcome")


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


class SlaStatus(WindowEvent):
    """A region's service level after a window step."""

    event_type: Literal["SlaStatus"] = "SlaStatus"
    schema_version: Literal[1] = 1
    in_breach: bool = Field(description="a breach episode is open (no SlaRecovered yet)")
    low_volume: bool = Field(False, description="too few handled calls to judge the share")


class SlaBreached(EpisodeEdge):
    """A region fell below target: one per episode."""

    event_type: Literal["SlaBreached"] = "SlaBreached"
    schema_version: Literal[1] = 1


class SlaRecovered(EpisodeEdge):
    """A region's breach episode ended."""

    event_type: Literal["SlaRecovered"] = "SlaRecovered"
    schema_version: Literal[1] = 1


class SlaBreachPredicted(WindowEvent):
    """The share has not fallen yet, but the calls waiting say it will."""

    event_type: Literal["SlaBreachPredicted"] = "SlaBreachPredicted"
    schema_version: Literal[1] = 1
    waiting_past_target: int = Field(ge=0, description="calls already waiting over 600 s")
    about_to_pass: int = Field(ge=0, description="calls that pass 600 s within the horizon")
    predicted_share: float = Field(ge=0, le=1)
    target: float


class DonorLoan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    region: Region
    operators: int = Field(ge=1)


class ReinforcementRequested(EpisodeEvent):
    """A region in breach needs operators from other regions; the figures behind the request."""

    event_type: Literal["ReinforcementRequested"] = "ReinforcementRequested"
    schema_version: Literal[1] = 1
    arrivals_per_hour: float = Field(ge=0)
    handling_seconds: float = Field(gt=0)
    patience_seconds: float | None = Field(default=None, gt=0)
    operators_needed_erlang_c: int = Field(ge=0)
    operators_needed_erlang_a: int | None = Field(default=None, ge=0)
    operators_present: int = Field(ge=0)
    shortfall: int = Field(ge=0)
    donors: tuple[DonorLoan, ...] = ()
    until: AwareDatetime


class ReinforcementOrdered(OrderEvent):
    """Region `region` is reinforced by donor regions' operators until `until`."""

    event_type: Literal["ReinforcementOrdered"] = "ReinforcementOrdered"
    schema_version: Literal[1] = 1
    donors: tuple[DonorLoan, ...]
    until: AwareDatetime
    ordered_by: str = Field(description="'reporting' or the supervisor's id")
    cause_event_id: UUID | None = None


class ReinforcementEnded(OrderEvent):
    event_type: Literal["ReinforcementEnded"] = "ReinforcementEnded"
    schema_version: Literal[1] = 1
    reason: Literal["expired", "ended_early", "recovered"]
    ended_by: str


class OperatorPresenceChanged(Event):
    """An operator logged in, paused, resumed or logged out: reporting counts staffing from it."""

    event_type: Literal["OperatorPresenceChanged"] = "OperatorPresenceChanged"
    schema_version: Literal[1] = 1
    operator_id: str
    region: Region
    status: Literal["available", "paused", "offline"]
    reason: str | None = Field(default=None, max_length=200)


class RedirectedTo112(ContactEvent):
    """A Nöd contact was sent to 112 at once and never queued."""

    event_type: Literal["RedirectedTo112"] = "RedirectedTo112"
    schema_version: Literal[1] = 1
    received_at: AwareDatetime
    redirect_seconds: Seconds = Field(description="from receipt to the redirect decision")


class AlertDelivered(AlertEvent):
    """Notify delivered (or finally failed to deliver) an alert to an on-call receiver."""

    event_type: Literal["AlertDelivered"] = "AlertDelivered"
    schema_version: Literal[1] = 1
    cause_event_id: UUID
    kind: AlertKind = "breach"
    transport: Literal["webhook", "email"]
    recipient: str = Field(default="", description="on-call staff id, never a citizen")
    level: int = Field(default=1, ge=1, description="escalation level that was alerted")
    delivered: bool
    attempts: int = Field(ge=1)
    detail: str = ""


class AlertEscalated(AlertEvent):
    """An alert was not acknowledged in time and went to the next on-call level."""

    event_type: Literal["AlertEscalated"] = "AlertEscalated"
    schema_version: Literal[1] = 1
    from_level: int = Field(ge=1)
    to_level: int = Field(ge=2)


class AlertAcknowledged(AlertEvent):
    event_type: Literal["AlertAcknowledged"] = "AlertAcknowledged"
    schema_version: Literal[1] = 1
    acknowledged_by: str
    via: Literal["link", "api"]


# Every concrete event (a shared base pins no event_type), in the order they are written above.
ALL_EVENTS: tuple[type[Event], ...] = tuple(
    model
    for model in list(globals().values())
    if isinstance(model, type) and issubclass(model, Event) and "EVENT_TYPE" in vars(model)
)
