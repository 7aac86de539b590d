"""Faust's hand-over of each fetched record to the agent, without four tasks per record.

Faust's consumer hands over every record as `await self.wait_first(callback(message),
self.suspend_flow.wait())` (faust/transport/consumer.py, `Consumer._drain_messages`). mode's
`wait_first` wraps both, and the consumer's stopped and crashed events, in a task each, waits
for the first to finish and cancels the rest: about 30 µs of CPU per record on a 2-core
machine, where counting the record's event costs about 37 µs. Nearly always the callback
finishes without suspending once: it puts the message in the agent's buffer.

So the consumer below runs the callback's first step at once. A callback that finishes in it has
done what it would have done as the race's first task, and the waits are never started: the
flow is known not to be suspended, nor the consumer stopped, when the step begins (otherwise
Faust's own `wait_first` runs, from the start). A callback that suspends (the agent's buffer is
full) is continued as a task that races the waits exactly as Faust's `wait_first` races it.
The whole callback runs in a context of its own, as it did in its task: a context variable it
sets never reaches the drain.

One thing differs: the first step runs as the drain's task, not one of its own. Code in it that
binds a timeout to the current task (`asyncio.timeout`, and from Python 3.12 `asyncio.wait_for`)
and then suspends would cancel the drain when the timeout fires. On 3.11 the callback's only
timeout, `wait_for` in Faust's wait for its producer's buffer to ebb, waits on a task of its own
(a test holds this). From 3.12 Faust's own race runs; an eager task (`eager_start=True`) would
be the way to do this there.
"""

import contextvars
import sys
import types
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any

from faust.transport.drivers.aiokafka import Consumer as KafkaConsumer
from mode.services import WaitResults

PROMPT = sys.version_info < (3, 12)  # the module's docstring says why not from 3.12


class PromptDeliveryConsumer(KafkaConsumer):
    """Faust's aiokafka consumer, whose records reach the agent's buffer without the race of
    `wait_first` when nothing can win against the delivery."""

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        if not self._a_delivery(coros, timeout):
            return await super().wait_first(*coros, timeout=timeout)
        delivery, flow = coros
        context = contextvars.copy_context()
        try:
            waits_on = context.run(delivery.send, None)
        except StopIteration as finished:
            flow.close()  # never started: nothing to cancel, and no "never awaited" warning
            return WaitResults([delivery], [finished.value], False)
        except BaseException:
            flow.close()
            raise  # as the race would: a delivery's error stops the drain
        return await super().wait_first(_Resumed(delivery, context, waits_on), flow)

    def _a_delivery(self, coros: tuple[Any, ...], timeout: Any) -> bool:
        """The drain's call (a callback's coroutine and the flow's wait, no timeout), while
        neither the flow's suspension nor the consumer's stop or crash is set."""
        if not PROMPT or timeout is not None or len(coros) != 2:
            return False
        delivery, flow = coros
        if not (isinstance(delivery, Coroutine) and isinstance(flow, types.CoroutineType)):
            return False
        # An unstarted coroutine's frame holds its arguments: `self` of Event.wait.
        if flow.cr_frame is None or flow.cr_frame.f_locals.get("self") is not self.suspend_flow:
            return False
        return not (self.suspend_flow.is_set() or self._stopped.is_set() or self._crashed.is_set())


class _Resumed(Awaitable[Any]):
    """`coro` from where its first step left it (waiting on `waits_on`), in the context its
    first step ran in: an awaitable, which mode's `wait_first` runs as a task of its own
    (`asyncio.ensure_future` wraps an awaitable in one)."""

    def __init__(self, coro: Coroutine[Any, Any, Any], context: contextvars.Context, waits_on: Any):
        self.coro, self.context, self.waits_on = coro, context, waits_on

    def __await__(self) -> Generator[Any, Any, Any]:
        """Passes what the coroutine waits on up to the task awaiting this, and each outcome
        (a value, an error, a cancellation) back down into the coroutine."""
        coro, run, waits_on = self.coro, self.context.run, self.waits_on
        while True:
            try:
                sent = yield waits_on
            except GeneratorExit:
                run(coro.close)
                raise
            except BaseException as error:  # a cancellation too: the coroutine handles it
                try:
                    waits_on = run(coro.throw, error)
                except StopIteration as finished:
                    return finished.value
            else:
                try:
                    waits_on = run(coro.send, sent)
                except StopIteration as finished:
                    return finished.value
