"""The envelope every event carries (docs/architecture.md, events)."""

from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

EARLIEST_YEAR, LATEST_YEAR = 2000, 2199


def in_utc(value: datetime) -> datetime:
    """An aware instant in UTC; years far outside the platform's life are refused (at 0001 or
    9999 the conversion itself overflows, and a wait of centuries would wreck every window)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value.astimezone(UTC)


class Event(BaseModel):
    """Base of every event: immutable, closed to unknown fields, timestamps in UTC.

    A concrete event pins `event_type` and `schema_version` with Literal fields; the class
    variables mirror them so code can name a type without building an instance.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    EVENT_TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: AwareDatetime

    @field_validator("occurred_at", mode="after")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return in_utc(value)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: object) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields
        if "event_type" in fields and "schema_version" in fields:
            cls.EVENT_TYPE = fields["event_type"].default
            cls.SCHEMA_VERSION = fields["schema_version"].default

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
