"""The scheduled-job loop every retention purge and queueing's sweep run on."""

import asyncio
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from services.shared.periodic import every


def test_jobs_run_every_round_and_an_outage_only_skips_one() -> None:
    rounds: list[str] = []

    async def three_rounds() -> None:
        third = asyncio.Event()
        running = asyncio.get_running_loop()

        def purge() -> None:  # runs in a worker thread
            rounds.append("purge")
            if len(rounds) == 2:  # the database is locked for one round
                raise OperationalError("DELETE", {}, sqlite3.OperationalError("database is locked"))
            if len(rounds) == 3:
                running.call_soon_threadsafe(third.set)

        loop = asyncio.create_task(every(0.001, "retention", purge))
        await asyncio.wait_for(third.wait(), timeout=10)
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop

    asyncio.run(three_rounds())
    assert len(rounds) >= 3, "the round after the outage ran"


def test_a_job_that_is_wrong_stops_the_loop() -> None:
    def broken() -> None:
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError, match="a bug"):
        asyncio.run(every(0.001, "retention", broken))
