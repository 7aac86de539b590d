"""The envelope every event carries (docs/architecture.md, events)."""

from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

EARLIEST_YEAR, LATEST_YEAR = 2000, 2199
# orjson writes what model_dump_json writes: compact, UTC as Z, enum-keyed maps by value.
_WIRE = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def in_utc(value: datetime) -> datetime:
    """An aware instant in UTC; years far outside the platform's life are refused (at 0001 or
    9999 the conversion itself overflows, and a wait of centuries would wreck every window)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value.astimezone(UTC)


class Event(BaseModel):
    """Base of every event: immutable, closed to unknown fields, timestamps in UTC.

    A concrete event pins `event_type` and `schema_version` with Literal fields (declared here
    so every event writes them in the same place on the wire); the class variables mirror them
    so code can name a type without building an instance.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    EVENT_TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: AwareDatetime
    event_type: str
    schema_version: int

    @field_validator("occurred_at", mode="after")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return in_utc(value)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: object) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields
        event_type, schema_version = fields["event_type"].default, fields["schema_version"].default
        # Only a concrete event pins both; a shared base of several events leaves them open.
        if isinstance(event_type, str) and isinstance(schema_version, int):
            cls.EVENT_TYPE, cls.SCHEMA_VERSION = event_type, schema_version

    def to_json(self) -> bytes:
        """The wire format: the bytes of model_dump_json, written by orjson from the model's
        Python dump (a fifth less CPU: bench/codec.py); what orjson cannot write (an integer
        past 64 bits) pydantic writes."""
        try:
            return orjson.dumps(self.model_dump(), option=_WIRE)
        except orjson.JSONEncodeError:
            return self.model_dump_json().encode()
