"""Reporting's commits wait for every buffered table write, even when sending stalls."""

import asyncio

import faust

from services.reporting.flush import install_complete_flush

STALL = 0.15  # longer than the 0.1 s after which Faust's own flush gives up


async def _flush_with_a_stalling_sender(complete: bool) -> tuple[list[int], int]:
    app = faust.App("pkc-flush-test", broker="kafka://127.0.0.1:9", web_enabled=False)
    producer = app.producer  # not started: the client is never reached, only the buffer
    sent: list[int] = []

    async def stalling_send(message: int) -> None:
        await asyncio.sleep(STALL)
        sent.append(message)

    producer.buffer._send_pending = stalling_send
    if complete:
        install_complete_flush(app)
    await producer.buffer.start()
    try:
        for message in range(3):
            producer.buffer.put(message)
        await producer.flush()
        return list(sent), producer.buffer.size
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
