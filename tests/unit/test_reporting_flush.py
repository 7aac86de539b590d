"""Reporting's commits wait for every buffered table write, even when sending stalls."""

import asyncio
from typing import Any

import faust
from faust.types.tuples import FutureMessage, PendingMessage

from services.reporting.flush import install_complete_flush

STALL = 0.15  # longer than the 0.1 s after which Faust's own flush gives up
ACKED: Any = None  # the broker's RecordMetadata: nothing here reads it


class StallingChannel:
    """Stands in for the topic a table writes its changelog to: each publish takes a while,
    then the broker's ack resolves the message's future (as Faust's publish_message does)."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def publish_message(self, fut: FutureMessage, wait: bool = False) -> None:
        await asyncio.sleep(STALL)
        self.sent.append(fut.message.value)
        fut.set_result(ACKED)


def _message(channel: StallingChannel, value: int) -> FutureMessage:
    topic: Any = channel  # duck-typed: the buffer only calls publish_message on it
    pending = PendingMessage(topic, None, value, None, None, None, None, None, None)
    return FutureMessage(pending)


async def _flush_with_a_stalling_sender(complete: bool) -> tuple[list[Any], int]:
    app: Any = faust.App("pkc-flush-test", broker="kafka://127.0.0.1:9", web_enabled=False)
    if complete:
        install_complete_flush(app)
    producer = app.producer  # not started: the client is never reached, only the buffer
    channel = StallingChannel()
    await producer.buffer.start()
    try:
        for value in range(3):
            producer.send_soon(_message(channel, value))
        await producer.flush()
        return list(channel.sent), producer.buffer.size
    finally:
        while not producer.buffer.pending.empty():  # what Faust left behind: stop cleanly
            producer.buffer.pending.get_nowait()
        await producer.buffer.stop()


def test_faust_s_own_flush_returns_with_table_writes_still_buffered() -> None:
    sent, still_buffered = asyncio.run(_flush_with_a_stalling_sender(complete=False))
    assert len(sent) < 3
    assert still_buffered > 0, "the premise of the fix: Faust gives up and commits anyway"


def test_the_commit_s_flush_waits_until_every_table_write_is_sent() -> None:
    sent, still_buffered = asyncio.run(_flush_with_a_stalling_sender(complete=True))
    assert sent == [0, 1, 2]
    assert still_buffered == 0
