"""Reporting's consumer hands each fetched record to the agent as Faust's race of tasks would
(services/reporting/delivery.py): a delivery that finishes at once is done without the race; one
that waits still loses to a suspended flow, which cancels it; an error still stops the drain."""

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import faust
import pytest

from services.reporting.delivery import PromptDeliveryConsumer
from services.reporting.rewind import install_rewinding_consumer


def on_a_consumer(test: Callable[[Any], Awaitable[None]]) -> None:
    """Runs `test` with the worker's consumer, as the worker builds it (nothing connects)."""

    async def run() -> None:
        app: Any = faust.App("pkc-delivery-test", broker="kafka://127.0.0.1:9", web_enabled=False)
        install_rewinding_consumer(app)
        assert isinstance(app.consumer, PromptDeliveryConsumer)
        try:
            await test(app.consumer)
        finally:
            app.consumer._thread.thread_loop.close()  # the consumer's thread never started

    asyncio.run(run())


def into_buffer(buffer: list[str]) -> Callable[[str], Coroutine[Any, Any, str]]:
    """A delivery that never waits: it puts the message in `buffer`, as Faust's callback puts
    it in the agent's buffer when there is room."""

    async def deliver(message: str) -> str:
        buffer.append(message)
        return message

    return deliver


def test_a_delivery_that_finishes_at_once_is_delivered_without_starting_a_task() -> None:
    delivered: list[str] = []
    deliver = into_buffer(delivered)

    async def test(consumer: Any) -> None:
        tasks_before = len(asyncio.all_tasks())
        flow = consumer.suspend_flow.wait()
        done = await consumer.wait_first(deliver("record 1"), flow)
        assert delivered == ["record 1"]
        assert done.results == ["record 1"]
        assert not done.stopped
        assert len(asyncio.all_tasks()) == tasks_before  # no race was set up
        assert flow.cr_frame is None  # the flow's wait was closed, never left dangling

    on_a_consumer(test)


def test_a_delivery_that_waits_finishes_when_its_buffer_has_room() -> None:
    async def test(consumer: Any) -> None:
        buffer: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        buffer.put_nowait("earlier record")  # the agent's buffer is full

        async def deliver(message: str) -> str:
            await buffer.put(message)
            return message

        async def agent_takes_one() -> None:
            await asyncio.sleep(0)
            assert buffer.get_nowait() == "earlier record"

        taking = asyncio.create_task(agent_takes_one())
        done = await consumer.wait_first(deliver("record 2"), consumer.suspend_flow.wait())
        await taking
        assert [r for r in done.results if r is not None] == ["record 2"]
        assert buffer.get_nowait() == "record 2"

    on_a_consumer(test)


def test_a_waiting_delivery_is_cancelled_when_the_flow_is_suspended() -> None:
    async def test(consumer: Any) -> None:
        cancelled = asyncio.Event()
        room = asyncio.Event()

        async def deliver(message: str) -> str:
            try:
                await room.wait()  # a full buffer, never emptied
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return message

        async def rebalance() -> None:
            await asyncio.sleep(0)
            consumer.suspend_flow.set()

        suspending = asyncio.create_task(rebalance())
        done = await consumer.wait_first(deliver("record 3"), consumer.suspend_flow.wait())
        await suspending
        assert "record 3" not in done.results
        await asyncio.wait_for(cancelled.wait(), timeout=5)
        assert not room.is_set()

    on_a_consumer(test)


@pytest.mark.parametrize("state", ["suspend_flow", "_stopped", "_crashed"])
def test_with_the_flow_suspended_or_the_consumer_stopping_faust_s_own_race_runs(
    state: str,
) -> None:
    delivered: list[str] = []
    deliver = into_buffer(delivered)

    async def test(consumer: Any) -> None:
        getattr(consumer, state).set()
        done = await consumer.wait_first(deliver("record 4"), consumer.suspend_flow.wait())
        # The race's first round runs the delivery too, as it always did: it is delivered.
        assert delivered == ["record 4"]
        if state == "suspend_flow":
            assert len(done.done) == 2  # both finished in the race's first round
        else:
            assert done.stopped  # the race says the consumer stopped

    on_a_consumer(test)


def test_a_timeout_in_the_delivery_s_first_step_never_cancels_the_drain() -> None:
    async def test(consumer: Any) -> None:
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def deliver(message: str) -> str:
            try:  # as Faust waits for its producer's buffer to ebb, for at most 0.1 s
                await asyncio.wait_for(asyncio.shield(never), timeout=0.01)
            except TimeoutError:
                return f"{message} after the timeout"
            return message

        done = await consumer.wait_first(deliver("record 6"), consumer.suspend_flow.wait())
        assert "record 6 after the timeout" in done.results
        await asyncio.sleep(0.05)  # the drain goes on: nothing cancelled it meanwhile

    on_a_consumer(test)


def test_a_delivery_keeps_a_context_of_its_own_across_its_waits() -> None:
    seen_by = contextvars.ContextVar("seen_by", default="the drain")

    async def deliver(message: str) -> str:
        seen_by.set(message)
        await asyncio.sleep(0)  # suspends: the rest runs in a task
        return seen_by.get()

    async def test(consumer: Any) -> None:
        done = await consumer.wait_first(deliver("record 7"), consumer.suspend_flow.wait())
        assert "record 7" in done.results
        assert seen_by.get() == "the drain"

    on_a_consumer(test)


def test_cancelling_the_drain_cancels_a_waiting_delivery() -> None:
    async def test(consumer: Any) -> None:
        cancelled = asyncio.Event()

        async def deliver(message: str) -> str:
            try:
                await asyncio.Event().wait()  # a full buffer, never emptied
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return message

        drain = asyncio.create_task(
            consumer.wait_first(deliver("record 8"), consumer.suspend_flow.wait())
        )
        await asyncio.sleep(0.01)
        drain.cancel()
        with pytest.raises(asyncio.CancelledError):
            await drain
        await asyncio.wait_for(cancelled.wait(), timeout=5)

    on_a_consumer(test)


def test_a_delivery_s_error_stops_the_drain() -> None:
    async def deliver(message: str) -> str:
        raise ValueError(f"cannot deliver {message}")

    async def test(consumer: Any) -> None:
        flow = consumer.suspend_flow.wait()
        with pytest.raises(ValueError, match="cannot deliver record 5"):
            await consumer.wait_first(deliver("record 5"), flow)
        assert flow.cr_frame is None

    on_a_consumer(test)


def test_other_calls_keep_faust_s_race() -> None:
    async def test(consumer: Any) -> None:
        other = asyncio.Event()
        other.set()

        async def quick() -> str:
            return "quick"

        # Not the drain's call (another waitable than the flow's): both may win, as before.
        done = await consumer.wait_first(quick(), other.wait())
        assert "quick" in done.results
        assert len(done.done) == 2

    on_a_consumer(test)
