"""Fixtures the unit tests share."""

import pytest

from schemas import codec


@pytest.fixture
def values_unsearched(monkeypatch: pytest.MonkeyPatch) -> None:
    """The codec fails the test if it searches a record's value for its event type (a record
    whose `event_type` header names it must not be searched)."""

    def searched(raw: object) -> None:
        raise AssertionError("the value was searched for its type")

    monkeypatch.setattr(codec, "_named_model", searched)
