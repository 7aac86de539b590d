"""The agent's own account of the source offsets it took (services/reporting/rewind.py): a
commit never passes a record the agent skipped, so the next assignment reads it again."""

from faust.types import TP

from services.reporting.rewind import Handled

SOURCE = TP("pkc.queue.events", 5)


def test_a_commit_stops_at_the_first_record_the_agent_never_took() -> None:
    handled = Handled()
    handled.sought(SOURCE, 100)
    for offset in (100, 101, 105, 106):  # 102-104 never reached the agent
        handled.took(SOURCE, offset)
    assert handled.committable(SOURCE, 107) == 102
    assert handled.skips == [{"partition": "pkc.queue.events/5", "from": 102, "to": 105}]


def test_records_taken_in_turn_commit_as_faust_asks() -> None:
    handled = Handled()
    handled.sought(SOURCE, 100)
    for offset in range(100, 110):
        handled.took(SOURCE, offset)
    assert handled.committable(SOURCE, 110) == 110
    assert handled.skips == []


def test_a_seek_back_is_a_replay_not_a_skip_and_clears_an_earlier_skip() -> None:
    handled = Handled()
    handled.sought(SOURCE, 10)
    handled.took(SOURCE, 12)  # 10-11 skipped
    handled.sought(SOURCE, 10)  # the next assignment reads from the commit again
    for offset in (10, 11, 12, 13):
        handled.took(SOURCE, offset)
    assert handled.committable(SOURCE, 14) == 14


def test_no_expectation_before_the_first_record_of_an_unknown_position() -> None:
    handled = Handled()
    handled.sought(SOURCE, None)  # rewound to the earliest record, wherever that is now
    handled.took(SOURCE, 5000)
    handled.took(SOURCE, 5001)
    assert handled.committable(SOURCE, 5002) == 5002
    assert handled.skips == []


def test_a_revoked_partition_has_no_expectation_until_it_is_sought_again() -> None:
    handled = Handled()
    handled.sought(SOURCE, 10)
    assert handled.knows(SOURCE)
    handled.sought(SOURCE, None)  # revoked
    assert not handled.knows(SOURCE)


def test_a_commit_never_passes_what_the_agent_took_since_the_last_seek() -> None:
    handled = Handled()
    handled.sought(SOURCE, 100)
    for offset in (100, 101):
        handled.took(SOURCE, offset)
    # Faust's account holds acknowledgements up to 150 from before the partition was revoked
    assert handled.committable(SOURCE, 151) == 102
    handled.sought(SOURCE, None)  # revoked: nothing taken in this assignment yet
    assert handled.committable(SOURCE, 151) is None


def test_a_partition_fetched_past_the_agent_at_two_looks_in_a_row_has_a_dropped_tail() -> None:
    handled = Handled()
    handled.sought(SOURCE, 5)
    assert handled.dropped_tails({SOURCE: (5, 8)}) == {}  # once: Faust may be handing them on
    assert handled.dropped_tails({SOURCE: (5, 8)}) == {SOURCE: 5}  # still so: read from 5 again
    assert handled.skips[-1] == {
        "partition": "pkc.queue.events/5",
        "from": 5,
        "to": 8,
        "tail": True,
    }


def test_a_partition_the_agent_moved_on_in_between_looks_has_no_dropped_tail() -> None:
    handled = Handled()
    handled.sought(SOURCE, 5)
    assert handled.dropped_tails({SOURCE: (5, 8)}) == {}
    assert handled.dropped_tails({SOURCE: (6, 9)}) == {}  # it took 5; 6-8 are on their way
    assert handled.dropped_tails({}) == {}  # and now it has them all
    assert handled.dropped_tails({SOURCE: (9, 10)}) == {}  # a fresh look starts over
    assert handled.skips == []
