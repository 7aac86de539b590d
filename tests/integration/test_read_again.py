"""Records read again from the broker by position (services/shared/kafka/read_again.py), on
real Kafka: what a monthly batch that kept only its records' positions dead-letters."""

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import RecordsToDelete

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
