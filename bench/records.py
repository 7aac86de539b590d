"""Reading a topic: as it stands, what the bench reads back from the broker after a run; or from
now on, what a run is about to send."""

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from pkc.polling import poll_async


async def records_to_end(
    bootstrap: str, topic: str, since_ms: int | None = None
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every record on `topic` up to the end each partition had when the read began, from the
    first stamped at `since_ms` or later (epoch ms), or from the start; partition by partition
    in offset order. Read to its end: the consumer stops when the iteration does."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # metadata first: partitions_for_topic is None without it
        if not consumer.partitions_for_topic(topic):  # seen empty after topics(): ask again
            await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        if since_ms is None:
            await consumer.seek_to_beginning(*partitions)
        else:
            starts = await consumer.offsets_for_times(dict.fromkeys(partitions, since_ms))
            for partition in partitions:
                found = starts[partition]
                consumer.seek(partition, found.offset if found is not None else ends[partition])
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    yield record
    finally:
        await consumer.stop()


async def read_from_now(consumer: AIOKafkaConsumer) -> None:
    """A started consumer without a group, at the end of every partition of its topics, each
    end resolved: nothing sent from now on is missed. aiokafka's seek_to_end waits for the ends
    only up to its request timeout; the position calls wait for any it did not get."""
    await poll_async(
        lambda: _assigned(consumer), "the topic's partitions", timeout=30, interval=0.05
    )
    await consumer.seek_to_end()
    for partition in consumer.assignment():
        await consumer.position(partition)


async def _assigned(consumer: AIOKafkaConsumer) -> bool:
    return bool(consumer.assignment())
