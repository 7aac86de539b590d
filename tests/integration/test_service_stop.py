"""A stopping service does not hang on a loop that will not stop: what has not stopped within
the deadline is left behind and logged (services/shared/runtime.py). A CI run saw a test's
teardown wait five minutes on a service's stop."""

import asyncio
import logging
import time

import pytest

from services.shared import runtime
from services.shared.kafka import EventProducer

pytestmark = pytest.mark.kafka


async def _a_loop_that_will_not_stop(running: asyncio.Event) -> None:
    running.set()
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        await asyncio.sleep(3600)  # a stop that never finishes, e.g. a broker that never answers


def test_a_loop_that_will_not_stop_is_left_behind_after_the_deadline(
    kafka: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runtime, "STOP_SECONDS", 0.5)

    async def scenario() -> float:
        producer = EventProducer(kafka, "test-stop")
        looping = asyncio.Event()
        async with runtime.running(producer, (), (_a_loop_that_will_not_stop(looping),)):
            await looping.wait()
            stopping = time.monotonic()
        return time.monotonic() - stopping

    with caplog.at_level(logging.ERROR):
        took = asyncio.run(scenario())
    assert took < 10  # the deadline, and the producer's own stop; not the hour the loop wants
    assert [r.getMessage() for r in caplog.records] == ["did not stop in time; left behind"]
