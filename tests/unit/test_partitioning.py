"""Where the producers put a keyed record: where every Kafka client puts it (murmur2 of the key,
as aiokafka's DefaultPartitioner and the Java client do), however often the key comes again, so
a region's events stay in order on one partition whichever producer wrote them."""

from aiokafka.partitioner import DefaultPartitioner

from schemas import Region
from services.shared.kafka.partitioning import partition_for


def test_a_key_goes_where_the_default_partitioner_puts_it_every_time() -> None:
    keys = [region.value.encode() for region in Region] + [f"c-{n}".encode() for n in range(500)]
    for count in (1, 3, 6, 12):
        partitions = list(range(count))
        for key in keys * 2:  # the second round comes from the remembered hashes
            expected = DefaultPartitioner()(key, partitions, partitions)
            assert partition_for(key, partitions, partitions) == expected


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    assert {partition_for(None, [0, 1, 2], [2]) for _ in range(20)} == {2}
