"""A region's minute buckets in the worker's table (services/reporting/stream.py TableBuckets):
one record per minute holding the counts and the input positions they have taken in."""

from services.reporting.deferred import DirectWrites
from services.reporting.positions import Position
from services.reporting.stream import TableBuckets
from services.reporting.window import COUNTS, MAIN

MINUTE = 29_631_560
AT = Position.of("pkc.queue.events", 2, 41)


def _counts(*counts: str) -> list[int]:
    return [counts.count(name) for name in COUNTS]


def test_an_event_is_added_once_with_the_position_that_brought_it() -> None:
    table: dict[str, object] = {}
    buckets = TableBuckets(table, "mitt", DirectWrites())
    assert buckets.add(MINUTE, [(MAIN, "answered_within")], AT)
    assert not buckets.add(MINUTE, [(MAIN, "answered_within")], AT)  # a replay of it
    assert buckets.add(MINUTE, [(MAIN, "answered_late")], Position.of("pkc.queue.events", 2, 42))
    assert table[f"mitt|{MINUTE}"] == {
        "counts": {MAIN: _counts("answered_within", "answered_late")},
        "taken": {"pkc.queue.events/2": 42},
    }


def test_a_bucket_written_before_positions_were_kept_is_read_and_added_to() -> None:
    legacy = {MAIN: _counts("answered_within")}
    table: dict[str, object] = {f"mitt|{MINUTE}": legacy}  # counts alone, no positions
    buckets = TableBuckets(table, "mitt", DirectWrites())
    assert buckets.get(MINUTE) == legacy
    assert buckets.add(MINUTE, [(MAIN, "answered_within")], AT)
    assert table[f"mitt|{MINUTE}"] == {
        "counts": {MAIN: _counts("answered_within", "answered_within")},
        "taken": {"pkc.queue.events/2": 41},
    }
