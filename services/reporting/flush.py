"""A commit that never runs ahead of the table writes it covers.

Faust buffers table (changelog) writes and, before committing the source offsets, flushes that
buffer; but its flush gives up after 0.1 s without progress and returns with records still
buffered (faust/transport/producer.py, ProducerBuffer.flush_atmost), and it never waits for the
record being handed to the Kafka client at that moment. The offsets are committed anyway, and a
worker killed then has counted events whose counts never reached the changelog: after recovery
they are neither in the tables nor redelivered (the kill -9 fault test saw 42 of 43).
"""

import asyncio
from typing import Any


class CompleteFlush:
    """Replaces `producer.flush`: waits until Faust's buffer is empty and no record is on its
    way to the client, then flushes the client (which waits for the broker's acks)."""

    def __init__(self, producer: Any):
        self.buffer = producer.buffer
        self.flush_client = producer.flush
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        send = self.buffer._send_pending  # bound by the buffer's task when it starts

        async def counted(message: Any) -> None:
            self.in_flight += 1
            self.idle.clear()
            try:
                await send(message)
            finally:
                self.in_flight -= 1
                if not self.in_flight:
                    self.idle.set()

        self.buffer._send_pending = counted

    async def __call__(self) -> None:
        while self.buffer.size or self.in_flight:
            if self.buffer.size:
                await self.buffer.flush()  # returns early when the sender stalls: go again
            else:
                await self.idle.wait()
        await self.flush_client()


def install_complete_flush(app: Any) -> None:
    """The consumer's commit calls `app.producer.flush()`: give it the complete one. Call it
    in the loop the app will run in (this creates the producer) and before the app starts
    (the buffer's task picks up its sender then)."""
    producer = app.producer
    producer.flush = CompleteFlush(producer)
