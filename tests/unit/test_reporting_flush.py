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


class RefusingChannel(StallingChannel):
    """The broker refuses the write (a changelog partition without its leader, say)."""

    async def publish_message(self, fut: FutureMessage, wait: bool = False) -> None:
        await asyncio.sleep(STALL)
        fut.set_exception(RuntimeError("NotLeaderForPartitionError"))


class BusyChannel(StallingChannel):
    """The agents keep counting while the commit waits: each ack comes with a new write."""

    def __init__(self, producer: Any) -> None:
        super().__init__()
        self.producer = producer

    async def publish_message(self, fut: FutureMessage, wait: bool = False) -> None:
        await super().publish_message(fut, wait)
        if len(self.sent) < 1000:
            self.producer.send_soon(_message(self, len(self.sent) + 100))


async def _flush_with(channel_of: Any) -> tuple[list[Any], Exception | None]:
    app: Any = faust.App("pkc-flush-test", broker="kafka://127.0.0.1:9", web_enabled=False)
    install_complete_flush(app)
    producer = app.producer
    channel = channel_of(producer)
    await producer.buffer.start()
    try:
        for value in range(3):
            producer.send_soon(_message(channel, value))
        try:
            await asyncio.wait_for(producer.flush(), timeout=10)
        except Exception as exc:
            return list(channel.sent), exc
        return list(channel.sent), None
    finally:
        while not producer.buffer.pending.empty():
            producer.buffer.pending.get_nowait()
        await producer.buffer.stop()


def test_a_refused_table_write_stops_the_commit() -> None:
    _, error = asyncio.run(_flush_with(lambda _: RefusingChannel()))
    assert type(error).__name__ == "ChangelogWriteFailed", error
    assert "NotLeaderForPartitionError" in str(error)


def test_the_commit_waits_for_the_writes_it_covers_not_for_those_made_while_it_waits() -> None:
    sent, error = asyncio.run(_flush_with(BusyChannel))
    assert error is None, "a flush chasing new writes never returns while the agents count"
    assert sent[:3] == [0, 1, 2]
    assert len(sent) < 1000


def test_the_commit_s_flush_waits_until_every_table_write_is_sent() -> None:
    sent, still_buffered = asyncio.run(_flush_with_a_stalling_sender(complete=True))
    assert sent == [0, 1, 2]
    assert still_buffered == 0


def test_the_writes_held_back_until_the_commit_are_sent_and_covered_by_its_flush() -> None:
    """The worker defers its table writes to the commit (deferred.py): the flush sends them
    first, and returns only when they too are acknowledged."""

    async def scenario() -> list[Any]:
        app: Any = faust.App("pkc-flush-test", broker="kafka://127.0.0.1:9", web_enabled=False)
        channel = StallingChannel()
        held_back = [_message(channel, value) for value in (7, 8)]
        install_complete_flush(app, lambda: [app.producer.send_soon(m) for m in held_back])
        await app.producer.buffer.start()
        try:
            app.producer.send_soon(_message(channel, 6))
            await app.producer.flush()
            return list(channel.sent)
        finally:
            await app.producer.buffer.stop()

    assert asyncio.run(scenario()) == [6, 7, 8]
