"""Running a service's Kafka side inside its HTTP process's lifespan."""

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

# derived_id lives in the pure services.shared.ids; importing it from here loads aiokafka.
from services.shared.ids import derived_id as derived_id
from services.shared.kafka import EventConsumer, EventProducer
from services.shared.logs import fields

log = logging.getLogger(__name__)


@asynccontextmanager
async def running(
    producer: EventProducer,
    consumers: tuple[EventConsumer, ...] = (),
    background: tuple[Coroutine[Any, Any, None], ...] = (),
) -> AsyncIterator[None]:
    """Starts the producer, the consumers and background loops; a crash of any ends the process
    (its supervisor restarts it) instead of leaving a half-alive service behind."""
    await producer.start()
    tasks = [asyncio.create_task(c.run(), name=f"consumer {c.spec.group}") for c in consumers]
    tasks += [
        asyncio.create_task(coro, name=getattr(coro, "__qualname__", "background"))
        for coro in background
    ]
    for task in tasks:
        task.add_done_callback(_exit_on_crash)
    try:
        yield
    finally:
        for task in tasks:
            task.remove_done_callback(_exit_on_crash)
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await producer.stop()


def _exit_on_crash(task: "asyncio.Task[Any]") -> None:
    if task.cancelled() or task.exception() is None:
        return
    exc = task.exception()
    log.critical(
        "background task crashed; stopping the process",
        extra=fields(task=task.get_name(), error=f"{type(exc).__name__}: {exc}"),
    )
    os.kill(os.getpid(), signal.SIGTERM)
