"""Reading events off the wire: find the type, upcast old versions, validate.

Old versions stay readable after a schema change: register an upcaster that turns version n's
JSON into version n+1's, and every reader sees the current model (eventsourcing's Mapper idea).
"""

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from schemas.callbacks import CALLBACK_EVENTS
from schemas.cases import CASE_EVENTS
from schemas.envelope import Event
from schemas.events import ALL_EVENTS
from schemas.ratings import RATING_EVENTS
from schemas.transfers import TRANSFER_EVENTS

EVENT_TYPES: dict[str, type[Event]] = {
    model.EVENT_TYPE: model
    for model in (
        *ALL_EVENTS,
        *TRANSFER_EVENTS,
        *CASE_EVENTS,
        *RATING_EVENTS,
        *CALLBACK_EVENTS,
    )
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
# (event_type, from_version) -> function giving the next version's JSON object.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UndecodableEvent(ValueError):
    """A record that is not a valid event; the message is safe to log (never the payload)."""


def decode_event(raw: bytes | str | None) -> Event:
    """Parse one record's value into the current model of its event type."""
    if raw is None:
        raise UndecodableEvent("empty record value")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UndecodableEvent(f"not JSON: {type(exc).__name__} at position {_pos(exc)}") from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, nesting 100,000 deep
        raise UndecodableEvent(f"not JSON we can read: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise UndecodableEvent(f"not a JSON object but {type(data).__name__}")
    event_type = data.get("event_type")
    model = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if model is None or not isinstance(event_type, str):
        raise UndecodableEvent(f"unknown event_type {str(event_type)[:40]!r}")
    data = upcast(event_type, data, model.SCHEMA_VERSION)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UndecodableEvent(f"invalid {event_type}: {describe_errors(exc)}") from None


def upcast(event_type: str, data: dict[str, Any], current: int) -> dict[str, Any]:
    version = data.get("schema_version")
    if not isinstance(version, int) or version < 1 or version > current:
        raise UndecodableEvent(f"unsupported schema_version {str(version)[:10]!r} of {event_type}")
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UndecodableEvent(f"no upcaster for {event_type} v{version}")
        data = step(data)
        version += 1
        data["schema_version"] = version
    return data


def describe_errors(exc: ValidationError) -> str:
    """Field paths and messages only: the offending input values may hold personal data."""
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    ]
    return "; ".join(parts[:10])


def _pos(exc: Exception) -> int:
    return getattr(exc, "pos", getattr(exc, "start", -1))
