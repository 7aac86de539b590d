"""How a consumer takes its records: how many make a batch, and how much a fetch gathers."""

from dataclasses import dataclass

from services.shared.kafka_tuning import FETCH_MIN_BYTES


@dataclass(frozen=True)
class Batching:
    max_records: int = 500
    max_seconds: float = 0.0  # 0: every fetch is a batch of its own
    # Complete and commit a batch while the next one is fetched (one at a time, in order).
    overlapped: bool = False
    fetch_bytes: int = 1024 * 1024  # per partition and fetch
    fetch_min_bytes: int = FETCH_MIN_BYTES  # what the broker gathers before it answers a fetch
    # Records taken from the client at a time (0: as many as the batch has room for). A batch
    # that keeps only what it makes of its records frees each slice's records as it goes.
    slice_records: int = 0

    def room(self, size: int) -> int:
        """How many records to take next into a batch that holds `size`."""
        room = self.max_records - size
        return min(room, self.slice_records) if self.slice_records else room


# For the consumers on a possible emergency's path (triage; intake's submissions and the
# statuses that carry the 112 instruction back): a fetch is answered as soon as one record is
# there, so a trickle of contacts does not wait FETCH_WAIT_MS (kafka_tuning.py) at each hop.
# Measured with `python -m bench nod` at 2 contacts/s when every consumer gathered 16 KiB:
# Nöd → adapter p50 40 → 92 ms, p99 155 → 200 ms; neither consumer's CPU per contact fell
# with it under load.
AT_ONCE = Batching(fetch_min_bytes=1)
GATHERING = Batching()  # the default: a fetch gathers FETCH_MIN_BYTES
