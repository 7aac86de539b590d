"""Which partition a key goes to: the same for every producer of the platform, and the same as
the Java client's."""

import functools

from aiokafka.partitioner import DefaultPartitioner, murmur2


@functools.lru_cache(maxsize=4096)
def _key_hash(key: bytes) -> int:
    return int(murmur2(key)) & 0x7FFFFFFF


def partition_for(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """aiokafka's DefaultPartitioner (murmur2 of the key, the Java client's choice, so every
    client puts a key on the same partition) with recent keys' hashes remembered: most topics
    are keyed by region, a handful of keys, and murmur2 in pure Python was 8 % of `pkc
    replay`'s CPU."""
    if key is None:
        return int(DefaultPartitioner()(key, all_partitions, available))
    return all_partitions[_key_hash(key) % len(all_partitions)]
