"""Records read again from the broker by position (services/shared/kafka/read_again.py), on
real Kafka: what a monthly batch that kept only its records' positions dead-letters."""

import asyncio
import contextlib
import logging
from functools import partial

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import RecordsToDelete

from pkc.polling import poll_async
from pkc.ports import free_port
from services.shared.kafka import PLAINTEXT
from services.shared.kafka.read_again import Gone, read_again
from services.shared.kafka_admin import admin_client
from tests.kafka_helpers import fresh_consumer_spec


async def _topic_with(kafka: str, values: list[bytes]) -> str:
    topic = (await fresh_consumer_spec(kafka)).topics[0].name
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, partition=0)
    finally:
        await producer.stop()
    return topic


async def test_the_records_at_the_positions_asked_for_are_read_again(kafka: str) -> None:
    topic = await _topic_with(kafka, [b"zero", b"one", b"two", b"three"])
    found = await read_again(kafka, PLAINTEXT, [(topic, 0, 1), (topic, 0, 3)], "test")
    assert {position: r.value for position, r in found.items()} == {
        (topic, 0, 1): b"one",
        (topic, 0, 3): b"three",
    }


async def test_a_record_deleted_since_comes_back_as_its_position_and_the_read_ends(
    kafka: str,
) -> None:
    topic = await _topic_with(kafka, [b"zero", b"one", b"two"])
    admin = admin_client(kafka, PLAINTEXT, 10_000)
    await admin.start()
    try:  # as retention deletes the oldest segment of a topic a rebuild is reading
        await admin.delete_records({TopicPartition(topic, 0): RecordsToDelete(before_offset=2)})
    finally:
        await admin.close()
    wanted = [(topic, 0, 0), (topic, 0, 2)]
    found = await read_again(kafka, PLAINTEXT, wanted, "test")
    assert found[(topic, 0, 0)] == Gone(topic, 0, 0)
    assert found[(topic, 0, 2)].value == b"two"
    # Wholly past what is left: gone too, without waiting for records that will never come.
    all_gone = await read_again(kafka, PLAINTEXT, [(topic, 0, 1)], "test")
    assert all_gone == {(topic, 0, 1): Gone(topic, 0, 1)}


async def test_a_broker_out_of_reach_is_waited_out(
    kafka: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The read starts while its bootstrap address refuses connections, and ends with the
    record once a forwarder to the session's broker listens there. The forwarder carries the
    bootstrap alone (the broker advertises its own address for the fetches): neither a
    black-holed address nor a broker lost in the middle of a read is covered here."""
    topic = await _topic_with(kafka, [b"zero", b"one"])
    port = free_port()  # nothing listens on it yet
    caplog.set_level(logging.WARNING, "services.shared.kafka.read_again")
    reading = asyncio.create_task(
        read_again(f"127.0.0.1:{port}", PLAINTEXT, [(topic, 0, 1)], "test")
    )

    async def failed_twice() -> bool:
        if reading.done():
            reading.result()  # an error the read gave up on fails the test here
            raise AssertionError("the read ended without the broker")
        return sum("starting over" in r.getMessage() for r in caplog.records) >= 2

    try:
        await poll_async(failed_twice, "two failed attempts to reach the broker", timeout=60)
        host, broker_port = kafka.rsplit(":", 1)
        forwarder = await asyncio.start_server(
            partial(_forward_to, host, int(broker_port)), "127.0.0.1", port
        )
        try:
            found = await asyncio.wait_for(reading, 60)
        finally:
            forwarder.close()
    finally:  # a read that never gives up must not outlive the test in the session's loop
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
    assert found[(topic, 0, 1)].value == b"one"


async def _forward_to(
    host: str, port: int, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
) -> None:
    broker_in, broker_out = await asyncio.open_connection(host, port)
    await asyncio.gather(_pipe(client_in, broker_out), _pipe(broker_in, client_out))


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    except ConnectionError:
        pass  # the other side went first
    finally:
        sink.close()
