"""A region's queue as it stands: the record of the compacted topic `pkc.queue.state`, the
contract for operator UIs and wallboards outside the platform (docs/queue-state.md).

A snapshot, not an event, so it does not carry the event envelope: it has no event id (a
reader does not deduplicate snapshots, it keeps the newest per region) and no `occurred_at`
(nothing happened: `as_of` is when the queue was read). Each record is complete, so a reader
needs only the last one of its region, which is all compaction keeps. It is versioned like
the events (`state_type`, `schema_version`), and a breaking change gets a new version.

Counts only: no operator's name or id, no contact id, no free text. A pause reason outside
the agreed vocabulary is counted as `other`, since a typed reason may name a person.
"""

from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.enums import Channel, QueueName, Region
from schemas.envelope import in_utc

Count = Annotated[int, Field(ge=0)]
WaitSeconds = Annotated[float, Field(ge=0)]
UtcInstant = Annotated[AwareDatetime, AfterValidator(in_utc)]
PRIORITIES: tuple[int, ...] = (1, 2, 3, 4, 5)  # schemas.events.Priority: 1 is the most urgent
# The pause reasons counted by name (the operator desk offers these); any other is `other`.
# The desk's fixed reasons, and the one queueing sets after a declined or timed-out offer.
PAUSE_REASONS: tuple[str, ...] = ("rast", "utbildning", "administration", "offer_declined")
OTHER_PAUSE = "other"


class _Closed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OperatorCounts(_Closed):
    """How many of the region's operators are in each state (home region; an operator lent to
    another region by a reinforcement order is counted at home)."""

    ready: Count = Field(description="signed in, not paused, holding no contact")
    offered: Count = Field(0, description="a contact is offered to them, not yet accepted")
    busy: Count = Field(description="holding a contact: assigned, or answered without outcome")
    wrap_up: Count = Field(0, description="after a contact, finishing its notes")
    paused: Count = Field(description="signed in and paused, for any reason")
    paused_by_reason: dict[str, Count] = Field(
        description=f"the paused, per reason: {', '.join(PAUSE_REASONS)} or {OTHER_PAUSE}"
    )
    signed_out: Count = Field(description="have worked in the region and are signed out now")

    @model_validator(mode="after")
    def _reasons_add_up(self) -> Self:
        if sum(self.paused_by_reason.values()) != self.paused:
            raise ValueError("paused_by_reason must add up to paused")
        return self


class ServiceLevelFigures(_Closed):
    """The region's service-level target, and how many waiting contacts are past it now."""

    target: float = Field(ge=0, le=1, description="share to answer within the threshold")
    threshold_seconds: WaitSeconds
    waiting_over_threshold: Count = Field(description="waiting longer than the threshold now")


class QueueState(_Closed):
    """One region's operator queues at `as_of`: what waits (per priority, channel and queue),
    how long the oldest has waited, and the operators by state."""

    STATE_TYPE: ClassVar[str] = "QueueState"
    SCHEMA_VERSION: ClassVar[int] = 1

    state_type: Literal["QueueState"] = "QueueState"
    schema_version: Literal[1] = 1
    region: Region = Field(description="also the record key")
    as_of: UtcInstant = Field(description="when the queue was read (platform time, UTC)")
    waiting_total: Count
    waiting_by_priority: dict[str, Count] = Field(description='every priority, "1" (most urgent)')
    waiting_by_channel: dict[Channel, Count] = Field(description="every channel")
    waiting_by_queue: dict[QueueName, Count] = Field(description="every queue of the region")
    oldest_wait_seconds: WaitSeconds = Field(description="the longest wait now; 0 when empty")
    oldest_wait_by_queue: dict[QueueName, WaitSeconds]
    possible_emergencies_waiting: Count = Field(
        description="waiting contacts triage flagged as a possible emergency: read them first"
    )
    operators: OperatorCounts
    service_level: ServiceLevelFigures

    @model_validator(mode="after")
    def _depths_add_up(self) -> Self:
        for name in ("waiting_by_priority", "waiting_by_channel", "waiting_by_queue"):
            if sum(getattr(self, name).values()) != self.waiting_total:
                raise ValueError(f"{name} must add up to waiting_total")
        return self

    def key(self) -> bytes:
        """The record key: the region, so compaction keeps each region's newest snapshot."""
        return self.region.value.encode()

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


STATE_TYPES: dict[str, type[QueueState]] = {QueueState.STATE_TYPE: QueueState}
