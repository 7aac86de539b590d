"""The throughput runs' watcher (bench/watching.py): it ends at the look that sees the target,
waits through looks that cannot tell yet, and names what it waited for when it gives up."""

import asyncio
import time

import pytest

from bench.watching import until_counted


def test_ends_at_the_look_that_sees_the_target_after_looks_that_could_not_tell() -> None:
    answers = iter([None, None, 0, 400, 800, 1000])
    looked_at: list[float] = []

    async def look() -> int | None:
        looked_at.append(time.perf_counter())
        return next(answers)

    seen = asyncio.run(until_counted(look, 1000, "a thousand", timeout=30))

    assert len(looked_at) == 6, "no look after the one that saw the target"
    assert looked_at[-1] <= seen <= time.perf_counter()


def test_a_count_that_never_gets_there_times_out_naming_what_and_the_last_count() -> None:
    async def look() -> int:
        return 7

    with pytest.raises(TimeoutError, match="a thousand; last: 7"):
        asyncio.run(until_counted(look, 1000, "a thousand", timeout=0))
