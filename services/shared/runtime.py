"""Running a service's Kafka side inside its HTTP process's lifespan."""

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

# derived_id lives in the pure services.shared.ids; importing it from here loads aiokafka.
from services.shared.ids import derived_id as derived_id
from services.shared.kafka import BatchConsumer, EventProducer
from services.shared.logs import fields

log = logging.getLogger(__name__)

# How long a stopping service waits for its consumers, loops and producer. What has not stopped
# by then is left behind and logged: every record a consumer did not commit is read again, and
# every event not yet published stays in its outbox, so a stop cut short loses nothing. A CI
# run saw a test's teardown hang here for five minutes.
STOP_SECONDS = 20.0


@asynccontextmanager
async def running(
    producer: EventProducer,
    consumers: tuple[BatchConsumer[Any], ...] = (),
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
        await _stop(tasks, producer)


async def _stop(tasks: list["asyncio.Task[Any]"], producer: EventProducer) -> None:
    for task in tasks:
        task.remove_done_callback(_exit_on_crash)
        task.cancel()
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=STOP_SECONDS)
        for task in done:
            if not task.cancelled():
                task.exception()  # retrieved: a crash was logged when it happened
        for task in pending:
            log.error("did not stop in time; left behind", extra=fields(task=task.get_name()))
    try:
        await asyncio.wait_for(producer.stop(), timeout=STOP_SECONDS)
    except TimeoutError:
        log.error("the producer did not stop in time; left behind")


def _exit_on_crash(task: "asyncio.Task[Any]") -> None:
    if task.cancelled() or task.exception() is None:
        return
    exc = task.exception()
    log.critical(
        "background task crashed; stopping the process",
        extra=fields(task=task.get_name(), error=f"{type(exc).__name__}: {exc}"),
    )
    os.kill(os.getpid(), signal.SIGTERM)
