"""A rebalance that never skips the records of a partition with no committed offset yet.

Faust hands the records its fetcher returned to the agents only while their partition is still
active and the group's generation unchanged; a rebalance beginning mid-batch drops the rest
(faust/transport/consumer.py, `Consumer.getmany`). The fetcher's position has moved past them
all the same, so after every rebalance Faust seeks each assigned partition back to its
committed offset (`perform_seek` -> `seek_to_committed`), and the dropped records come again.

But aiokafka seeks only where a committed offset is above 0 (aiokafka 0.14,
`AIOKafkaConsumer.seek_to_committed`): a partition whose first records were dropped before
its first commit keeps its advanced position, and those records are never counted (the
two-replica fault test saw regions counted 0 of 4, their partitions never committed, the
fetcher at the end). So the consumer below seeks such partitions back to their beginning
(offset 0: a partition whose start was deleted resets to its earliest record, as
`consumer_auto_offset_reset` says). A replay costs nothing wrong: every table record keeps the
positions it has taken in (positions.py). Changelog partitions are left alone: Faust seeks
those itself for recovery, and the group never commits them.
"""

from collections.abc import Mapping
from typing import Any

from faust.transport.drivers.aiokafka import Consumer as KafkaConsumer
from faust.types import TP


class RewindingConsumer(KafkaConsumer):
    """Faust's aiokafka consumer whose seek to the committed offsets also rewinds the source
    partitions that have none to their start."""

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = await super().seek_to_committed()
        changelogs = self.app.tables.changelog_topics
        for tp, offset in committed.items():
            if not offset and tp.topic not in changelogs:
                await self.seek(tp, 0)
        return committed


def install_rewinding_consumer(app: Any) -> None:
    """Makes the app's consumer a `RewindingConsumer`. Call it before anything reads
    `app.consumer` (which creates the consumer), i.e. before the app starts."""
    if app.transport.Consumer is not KafkaConsumer:
        raise RuntimeError("the rewinding consumer is built for Faust's aiokafka (kafka://) driver")
    app.transport.Consumer = RewindingConsumer
    if not isinstance(app.consumer, RewindingConsumer):
        raise RuntimeError("the app's consumer was created before it could be replaced")
