"""The fields several events share, declared once in a base model each; every event in
schemas/events.py adds its own fields and pins its event_type and schema_version."""

from typing import Annotated
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.enums import Channel, NeedCategory, Region
from schemas.envelope import Event

Seconds = Annotated[float, Field(ge=0)]


class ContactEvent(Event):
    """What every event of one contact's way through the centre starts with."""

    contact_id: UUID
    region: Region
    channel: Channel


class ArrivingContactEvent(ContactEvent):
    """A contact's events on its way to a queue (ContactReceived, Classified)."""

    accepted_at: AwareDatetime | None = Field(
        default=None,
        description=(
            "when intake accepted it, by intake's own clock: the queue ranks by this, which no "
            "adapter can set, while the adapter's received_at (ContactReceived's occurred_at) "
            "stays the start of the citizen's wait, shown to people and counted for the "
            "service level; None on records from before it existed: rank by received_at"
        ),
    )


class WaitEnded(ContactEvent):
    """A queued contact stopped waiting: answered or abandoned, `wait_seconds` after receipt."""

    category: NeedCategory
    received_at: AwareDatetime
    wait_seconds: Seconds


class SlaWindow(BaseModel):
    """A region's rolling window: each count is of what happened in it (answers can outnumber
    offers); every SL formula can be derived from them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: AwareDatetime
    end: AwareDatetime
    offered: int = Field(0, description="counted contacts that joined the queue during the window")
    answered_within: int = Field(0, description="in-time answers, also to earlier offers")
    answered_late: int = Field(0, description="answers during the window, past the threshold")
    abandoned: int = Field(0, description="hang-ups during the window, short ones too")
    share: float | None = Field(None, description="answered within / (answered + real abandons)")


class WindowEvent(Event):
    """What a region's window showed when reporting stepped it."""

    region: Region
    window: SlaWindow


class EpisodeEvent(Event):
    """A step of one breach episode of a region, and the window that took it."""

    region: Region
    episode_id: UUID
    window: SlaWindow


class EpisodeEdge(EpisodeEvent):
    """A breach episode opened or closed, against the target it was judged by."""

    target: float


class OrderEvent(Event):
    """A step of one reinforcement order for the reinforced region."""

    order_id: UUID
    region: Region


class AlertEvent(Event):
    """A step of one alert about a region."""

    region: Region
    alert_id: UUID


def reinforcement_request_id(episode_id: UUID) -> UUID:
    """The event id of the ReinforcementRequested a breach episode sends: the same on every
    replay, and how a receiver matches an SlaRecovered to the request it ends."""
    return uuid5(episode_id, "ReinforcementRequested")
