"""The throughput runs' watcher (bench/watching.py): it looks seldom while much is left and
often near the end, ends at the look that sees the target, and names what it waited for when
it gives up; and the latency runs' stamps. On a clock of its own: each wait moves it on, and a
look counts what a steady 1,000 a second would have counted by then."""

import asyncio

import pytest

from bench import watching
from bench.watching import stamp_counted, until_counted


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(watching, "perf_counter", fake.time)
    monkeypatch.setattr(watching, "monotonic", fake.time)
    monkeypatch.setattr(watching, "sleep", fake.sleep)
    return fake


def test_looks_seldom_while_much_is_left_and_often_at_the_end(clock: Clock) -> None:
    began = clock.now

    async def look() -> int:
        return int((clock.now - began) * 1000)  # 1,000 a second from `began`

    seen = asyncio.run(until_counted(look, 2000, "2,000", timeout=60, since=(began, 0)))

    fastest, slowest = watching.GAPS
    assert clock.waits[0] == slowest, "nothing counted yet: the longest wait"
    assert clock.waits[-1] == fastest, "the end is looked for as often as it may be"
    assert clock.waits == sorted(clock.waits, reverse=True), "closer and closer"
    assert 2.0 <= seen - began <= 2.0 + fastest, "seen within the shortest wait of its end"


def test_waits_through_looks_that_cannot_tell_and_a_count_that_stands_still(
    clock: Clock,
) -> None:
    """A worker still starting: no answer, then nothing counted for a while. The rate is read
    from when counting began, not from the first look."""
    answers = iter([None, None, 0, 0, 0, 0, 500, 1000])

    async def look() -> int | None:
        return next(answers)

    asyncio.run(until_counted(look, 1000, "1,000", timeout=60))

    slowest = watching.GAPS[1]
    assert clock.waits[:6] == [slowest] * 6
    assert clock.waits[6] == slowest / 2, "500 in one wait, 500 left: half of one more"


def test_a_count_that_never_gets_there_times_out_naming_what_and_the_last_count(
    clock: Clock,
) -> None:
    async def look() -> int:
        return 7

    with pytest.raises(TimeoutError, match="a thousand; last: 7"):
        asyncio.run(until_counted(look, 1000, "a thousand", timeout=1))


def test_a_latency_look_stamps_what_it_newly_sees_with_when_it_saw_it(clock: Clock) -> None:
    observed: list[float] = []
    assert not stamp_counted(observed, 2, 5)
    first = clock.now
    clock.now += 0.1
    assert not stamp_counted(observed, 2, 5), "nothing new: nothing stamped"
    clock.now += 0.1
    assert stamp_counted(observed, 7, 5), "more than sent: stamps for what was sent"
    assert observed == [first, first, clock.now, clock.now, clock.now]
