"""Derived event ids: pure, so a service's core can use them without loading any I/O."""

import uuid


def derived_id(cause: uuid.UUID, what: str) -> uuid.UUID:
    """The id of an event caused by another: the same on every replay, so dedupe works."""
    return uuid.uuid5(cause, what)
