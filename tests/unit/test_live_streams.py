"""The live streams' fan-out: one read per interval however many listen, a slow listener
dropped without holding back the others, the reader gone with the last listener, and the caps
per person and per process."""

import asyncio
import json

import pytest

from services.shared.live import QUEUE_SIZE, LiveHub, Subscription, TooManyStreams

INTERVAL = 0.01


class Counter:
    """A state that changes on every read, so every read is a message to every listener."""

    def __init__(self) -> None:
        self.reads = 0

    async def read(self) -> dict[str, int]:
        self.reads += 1
        return {"reads": self.reads}


def value(message: str | None) -> int:
    assert message is not None
    event, data = message.strip().split("\n")
    assert event == "event: queue"
    return int(json.loads(data.removeprefix("data: "))["reads"])


async def received(subscription: Subscription, count: int) -> list[int]:
    return [value(await subscription.next()) for _ in range(count)]


async def test_many_listeners_cost_one_read_per_interval() -> None:
    hub, state = LiveHub(max_per_person=100, max_total=100), Counter()
    listeners = [
        hub.subscribe(f"person-{i}", "queue", "mitt", state.read, INTERVAL) for i in range(20)
    ]
    heard = await asyncio.gather(*(received(listener, 5) for listener in listeners))
    # Every listener heard the same reads, and there were about 5, not 20 × 5.
    assert all(values == heard[0] for values in heard)
    assert state.reads <= 5 + len(listeners) // 10  # a read or so may be under way
    for listener in listeners:
        listener.close()


async def test_a_listener_joining_later_hears_the_latest_state_at_once() -> None:
    hub, state = LiveHub(10, 10), Counter()
    first = hub.subscribe("a", "queue", "mitt", state.read, 60.0)  # one read, then a long wait
    assert await received(first, 1) == [1]
    later = hub.subscribe("b", "queue", "mitt", state.read, 60.0)
    assert await asyncio.wait_for(received(later, 1), timeout=5) == [1]
    assert state.reads == 1
    first.close()
    later.close()


async def test_a_slow_listener_is_dropped_and_the_others_go_on() -> None:
    hub, state = LiveHub(10, 10), Counter()
    slow = hub.subscribe("slow", "queue", "ost", state.read, INTERVAL)
    fast = hub.subscribe("fast", "queue", "ost", state.read, INTERVAL)
    heard = await received(fast, 3 * QUEUE_SIZE)
    assert heard == sorted(heard)
    assert len(set(heard)) == len(heard)
    # The slow one never read: its queue filled, it was dropped, its stream ends.
    assert await asyncio.wait_for(slow.next(), timeout=5) is None
    assert hub.open_by_person == {"fast": 1}
    fast.close()


async def test_the_reader_stops_when_the_last_listener_leaves() -> None:
    hub, state = LiveHub(10, 10), Counter()
    one = hub.subscribe("a", "queue", "syd", state.read, INTERVAL)
    two = hub.subscribe("a", "queue", "syd", state.read, INTERVAL)
    reader = hub.feeds[("queue", "syd")].reader
    assert reader is not None
    await received(two, 2)
    one.close()
    assert not reader.done(), "one listener is left"
    two.close()
    await asyncio.wait([reader], timeout=5)
    assert reader.done(), "the reader stopped"
    reads = state.reads
    await asyncio.sleep(10 * INTERVAL)  # a time in which a running reader would read ~10 times
    assert state.reads == reads
    assert hub.feeds == {}
    assert hub.open_streams == 0


async def test_streams_are_capped_per_person_and_in_total() -> None:
    hub, state = LiveHub(max_per_person=2, max_total=3), Counter()
    mine = [hub.subscribe("anna", "queue", "nord", state.read, INTERVAL) for _ in range(2)]
    with pytest.raises(TooManyStreams, match="2 live streams open, the most one person"):
        hub.subscribe("anna", "sla", "all", state.read, INTERVAL)
    other = hub.subscribe("bo", "queue", "nord", state.read, INTERVAL)
    with pytest.raises(TooManyStreams, match="its maximum of 3 live streams"):
        hub.subscribe("cecilia", "queue", "nord", state.read, INTERVAL)
    # Leaving frees the slot, for the person and for the process.
    mine[0].close()
    mine[0].close()  # closing twice frees one slot, not two
    again = hub.subscribe("anna", "queue", "nord", state.read, INTERVAL)
    with pytest.raises(TooManyStreams):
        hub.subscribe("cecilia", "queue", "nord", state.read, INTERVAL)
    for subscription in (mine[1], other, again):
        subscription.close()
    assert hub.open_streams == 0


async def test_a_state_that_cannot_be_read_ends_its_streams() -> None:
    hub = LiveHub(10, 10)

    async def unreadable() -> dict[str, int]:
        raise ConnectionError("database away")

    listener = hub.subscribe("a", "queue", "vast", unreadable, INTERVAL)
    assert await asyncio.wait_for(listener.next(), timeout=5) is None
    assert hub.feeds == {}
    assert hub.open_streams == 0
