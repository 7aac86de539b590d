"""How many records a consumer takes into a batch at a time."""

from services.shared.kafka import Batching


def test_a_batch_takes_what_it_has_room_for() -> None:
    assert Batching(max_records=500).room(0) == 500
    assert Batching(max_records=500).room(480) == 20


def test_a_sliced_batch_takes_a_slice_at_a_time_and_never_past_its_room() -> None:
    batching = Batching(max_records=5000, slice_records=500)
    assert batching.room(0) == 500
    assert batching.room(4800) == 200
