"""Reading events off the wire: find the type, upcast old versions, validate.

Old versions stay readable after a schema change: register an upcaster that turns version n's
JSON into version n+1's, and every reader sees the current model (eventsourcing's Mapper idea).

The common record (a current version, valid) is parsed straight into the model its
`event_type` names (its pydantic validator's validate_json); anything that refuses goes the
long way, parsed with orjson, upcast and validated, which also gives the reason of a refusal.
Both ways end in the same pydantic model: the models stay the contract, the parser is only
faster.
"""

import re
from collections.abc import Callable
from typing import Any

import orjson
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


# The type a record names (a shortcut only: the model's validation decides), and what orjson
# refuses of valid JSON (nesting over 1,024 deep, a number past a double's range).
_NAMED = re.compile(rb'"event_type"\s*:\s*"(\w{1,40})"')
_BEYOND_LIMITS = ("depth limit exceeded", "number is infinity")


class UndecodableEvent(ValueError):
    """A record that is not a valid event; the message is safe to log (never the payload)."""


def decode_event(raw: bytes | str | None, named: str | None = None) -> Event:
    """Parse one record's value into the current model of its event type; `named`: the type
    the record says it holds elsewhere (its `event_type` header), saving the search for it."""
    return _decode(raw, named)[0]


def decode_to_send_on(raw: bytes) -> tuple[Event, bytes | None]:
    """The event, and `raw` itself if it may be sent on as it is instead of the event's own
    encoding (`Event.to_json`), sparing the writing: when it was read straight as the current
    version and names its own event id. Every reader then reads what this one did. An upcast
    record would be upcast by each reader again, and one without an id would get a fresh
    uuid4 from each: those are sent as the event (None)."""
    event, straight = _decode(raw, None)
    return event, raw if straight and "event_id" in event.model_fields_set else None


def _decode(raw: bytes | str | None, named: str | None) -> tuple[Event, bool]:
    """The event, and whether it was read straight into its model (the current version)."""
    if raw is None:
        raise UndecodableEvent("empty record value")
    model = EVENT_TYPES.get(named) if named is not None else _named_model(raw)
    if model is not None:
        try:
            # The model's validator called straight, as model_validate_json does: its keyword
            # handling cost about 0.5 µs a record, a sixth of reading one.
            event: Event = model.__pydantic_validator__.validate_json(raw)
            return event, True
        except ValidationError:
            pass  # an old version to upcast, or not valid: the long way says which
    return _decode_parsed(_parse(raw)), False


def _named_model(raw: bytes | str) -> type[Event] | None:
    # Records come as bytes; a str (tests, files) is searched as its UTF-8, as orjson reads it.
    found = _NAMED.search(raw.encode(errors="replace") if isinstance(raw, str) else raw)
    return EVENT_TYPES.get(found.group(1).decode()) if found else None


def _parse(raw: bytes | str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if exc.msg.startswith(_BEYOND_LIMITS):  # orjson's own words, never the payload's
            raise UndecodableEvent(f"not JSON we can read: {exc.msg.split(':')[0]}") from None
        raise UndecodableEvent(f"not JSON: {type(exc).__name__} at position {exc.pos}") from None


def _decode_parsed(data: Any) -> Event:
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
