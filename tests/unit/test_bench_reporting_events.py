"""bench reporting's runs each send every region the same number of answers: a run ends when
every region holds its share, and the next run counts from the shares the last one left."""

from collections import Counter

from bench.reporting import THROUGHPUT_EVENTS, _events
from schemas import Region


def test_each_run_sends_every_region_the_same_number_of_answers() -> None:
    for first in (0, THROUGHPUT_EVENTS):  # the run on the topic, then the run while published
        per_region = Counter(event.region for event in _events(first))
        assert set(per_region) == set(Region)
        assert set(per_region.values()) == {THROUGHPUT_EVENTS // len(Region)}
