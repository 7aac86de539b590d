"""A commit that never runs ahead of the table writes it covers.

Faust buffers table (changelog) writes and, before committing the source offsets, flushes that
buffer; but its flush gives up after 0.1 s without progress and returns with records still
buffered (faust/transport/producer.py, ProducerBuffer.flush_atmost), and it never waits for the
record being handed to the Kafka client at that moment. The offsets are committed anyway, and a
worker killed then has counted events whose counts never reached the changelog: after recovery
they are neither in the tables nor redelivered (the kill -9 fault test saw 42 of 43).

Faust has no setting for this (checked in faust-streaming 0.15.3: no flush timeout, and no
hook between "flush" and "commit" that may wait), but it lets an app bring its own producer:
`App.producer` has a public setter, and a driver's `Producer` is meant to be subclassed
(`Transport.Producer`). So the fix is a subclass that overrides two public methods of the
producer interface (ProducerT): `send_soon`, through which every table write enters the buffer,
and `flush`, which the commit awaits. Nothing private of Faust's is touched.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from faust.transport.drivers.aiokafka import Producer as KafkaProducer
from faust.types.tuples import FutureMessage


class ChangelogWriteFailed(Exception):
    """A table write the commit covers was refused: committing would lose its count."""


class CompleteFlushProducer(KafkaProducer):
    """Faust's Kafka producer whose `flush` returns only when every message handed to
    `send_soon` before the flush began is acknowledged by the broker, however long the sender
    stalls; it raises instead of returning when one of them failed."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.unsettled: set[FutureMessage] = set()
        # Sends the table writes held back until the commit (deferred.py), so that they are
        # among those it covers.
        self.before_flush: Callable[[], object] | None = None

    def send_soon(self, fut: FutureMessage) -> None:
        self.unsettled.add(fut)
        fut.add_done_callback(self.unsettled.discard)
        super().send_soon(fut)

    async def flush(self) -> None:
        # Faust picks the offsets to commit before it flushes, so the writes that matter are
        # those already made: a snapshot. Waiting also for writes made meanwhile (the agents
        # keep running) would never end during a catch-up and hold every commit back.
        if self.before_flush is not None:
            self.before_flush()
        covered = set(self.unsettled)
        if covered:
            await asyncio.wait(covered)
            # A refused write must stop the commit (the worker crashes and replays from the
            # last commit); a cancelled one was never sent. Broker errors name no personal data.
            if any(fut.cancelled() for fut in covered):
                raise ChangelogWriteFailed("a table write was cancelled before it was sent")
            errors = [error for fut in covered if (error := fut.exception()) is not None]
            if errors:
                error = errors[0]
                reason = f"{len(errors)} table write(s) failed: {type(error).__name__}: {error}"
                raise ChangelogWriteFailed(reason[:300]) from error
        await super().flush()


def install_complete_flush(app: Any, before_flush: Callable[[], object] | None = None) -> None:
    """The consumer's commit calls `app.producer.flush()`: give the app the complete one, which
    calls `before_flush` first. Call it in the loop the app will run in and before the app
    starts (which starts the producer)."""
    if app.transport.Producer is not KafkaProducer:
        raise RuntimeError("the complete flush is built for Faust's aiokafka (kafka://) driver")
    producer = CompleteFlushProducer(app.transport, loop=app.loop, beacon=app.beacon)
    producer.before_flush = before_flush
    app.producer = producer
