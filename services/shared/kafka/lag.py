"""How far a consumer group has read: its lag per partition, for /readyz and the monthly report.

Lag is the partition's end offset less the group's position in it: Kafka's committed offset
(what the shared consumer loop and Faust commit after handling), or the consumer's own stored
position (the monthly consumer keeps its positions in its database). A partition with no
position is read from its beginning (every consumer here resets to `earliest`), so all of it
counts. Offsets and counts only: nothing here ever reads a record, so no personal data.

Measuring asks the broker (the topics' partitions, the group's committed offsets, the
partitions' bounds) with clients opened for the measurement and closed after it: a probe needs
no lifespan of its own, and answers are kept for `ttl` seconds, so a prober calling every second
costs one measurement per `ttl`. A measurement that fails or takes over `timeout` is
"unknown", never an exception.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.shared.kafka.consumer import BatchConsumer
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity

Offsets: TypeAlias = dict[tuple[str, int], int]  # (topic, partition) -> offset
PositionSource: TypeAlias = Callable[[], Awaitable[Mapping[tuple[str, int], int]]]


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    position: int  # the next offset the group reads
    end: int  # the offset the next record written will get

    @property
    def lag(self) -> int:
        return max(self.end - self.position, 0)


@dataclass(frozen=True)
class Lag:
    """One measurement of a group's lag; `error` (a type name) when it could not be taken."""

    partitions: tuple[PartitionLag, ...] = ()
    error: str | None = None

    @property
    def total(self) -> int | None:
        """Records written and not yet read; None when unknown."""
        return None if self.error is not None else sum(p.lag for p in self.partitions)

    def caught_up(self, threshold: int = 0) -> bool:
        """At most `threshold` records behind in all; unknown is not caught up."""
        total = self.total
        return total is not None and total <= threshold

    def view(self, threshold: int) -> dict[str, Any]:
        """The JSON /readyz shows per group."""
        shown: dict[str, Any] = {
            "caught_up": self.caught_up(threshold),
            "threshold": threshold,
            "total": self.total,
            "partitions": [
                {
                    "topic": p.topic,
                    "partition": p.partition,
                    "position": p.position,
                    "end": p.end,
                    "lag": p.lag,
                }
                for p in self.partitions
            ],
        }
        if self.error is not None:
            shown["error"] = self.error
        return shown


UNMEASURED = Lag(error="not measured yet")
READINESS_WAIT = 0.5  # seconds /readyz waits for a fresh measurement


def lag_of(positions: Mapping[tuple[str, int], int], beginnings: Offsets, ends: Offsets) -> Lag:
    """Pure: each partition of `ends` against the group's position in it. A missing position,
    or one before the partition's beginning (records deleted by retention before they were
    read), reads from the beginning."""
    partitions = []
    for (topic, partition), end in sorted(ends.items()):
        beginning = beginnings.get((topic, partition), 0)
        position = max(positions.get((topic, partition), beginning), beginning)
        partitions.append(PartitionLag(topic, partition, position, end))
    return Lag(tuple(partitions))


class LagProbe:
    """A group's lag over `topics`, measured at most once per `ttl` seconds (see the module)."""

    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: Iterable[str],
        security: KafkaSecurity = PLAINTEXT,
        *,
        positions: PositionSource | None = None,
        ttl: float = 5.0,
        timeout: float = 3.0,
    ):
        self.bootstrap = bootstrap
        self.group = group
        self.topics = tuple(topics)
        self.security = security
        self.ttl = ttl
        self.timeout = timeout
        self._positions = positions  # None: the group's committed offsets
        self._last = UNMEASURED
        self._measured = -float("inf")
        self._refresh: asyncio.Task[None] | None = None

    async def __call__(self, wait: float | None = None) -> Lag:
        """The latest measurement, refreshed first when older than `ttl`: waiting at most
        `wait` seconds for that (None: until it is done, `timeout` at most), else the one
        before. Concurrent callers share one refresh."""
        running = self._refresh
        if running is not None and running.get_loop() is not asyncio.get_running_loop():
            running = self._refresh = None  # begun in a loop since closed (tests' clients)
        if running is None and time.monotonic() - self._measured >= self.ttl:
            running = self._refresh = asyncio.create_task(self._refreshed())
        if running is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(running), wait)
        return self._last

    async def _refreshed(self) -> None:
        try:
            self._last = await self.measure()
            self._measured = time.monotonic()
        finally:
            self._refresh = None

    async def measure(self) -> Lag:
        """A fresh measurement, uncached. Positions are read before the ends, so a consumer
        moving meanwhile makes the lag look larger, never smaller than it was."""
        try:
            async with asyncio.timeout(self.timeout):
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=self.bootstrap,
                    request_timeout_ms=int(self.timeout * 1000),
                    **self.security.client_kwargs(),
                )
                try:
                    await admin.start()
                    partitions = await _partitions(admin, self.topics)
                    if self._positions is None:
                        positions = await _committed(admin, self.group, self.topics)
                    else:
                        positions = dict(await self._positions())
                finally:
                    with contextlib.suppress(Exception):
                        await admin.close()
                beginnings, ends = await self._bounds(partitions)
        except Exception as exc:  # broker or store down, or too slow: unknown, by type only
            return Lag(error=type(exc).__name__)
        return lag_of(positions, beginnings, ends)

    async def _bounds(self, partitions: list[TopicPartition]) -> tuple[Offsets, Offsets]:
        # No group: this client only asks where partitions begin and end.
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            request_timeout_ms=int(self.timeout * 1000),
            enable_auto_commit=False,
            **self.security.client_kwargs(),
        )
        try:
            await consumer.start()
            beginnings = await consumer.beginning_offsets(partitions)
            ends = await consumer.end_offsets(partitions)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
        return _keyed(beginnings), _keyed(ends)


async def _partitions(admin: AIOKafkaAdminClient, topics: tuple[str, ...]) -> list[TopicPartition]:
    found: list[TopicPartition] = []
    for described in await admin.describe_topics(list(topics)):
        if described["error_code"] != 0 or not described["partitions"]:
            raise LookupError(f"the broker does not describe topic {described['topic']}")
        numbers = sorted(p["partition"] for p in described["partitions"])
        found.extend(TopicPartition(described["topic"], n) for n in numbers)
    return found


async def _committed(admin: AIOKafkaAdminClient, group: str, topics: tuple[str, ...]) -> Offsets:
    committed = await admin.list_consumer_group_offsets(group)
    # -1: no offset committed for that partition.
    return {
        (tp.topic, tp.partition): meta.offset
        for tp, meta in committed.items()
        if tp.topic in topics and meta.offset >= 0
    }


def _keyed(offsets: Mapping[TopicPartition, int]) -> Offsets:
    return {(tp.topic, tp.partition): offset for tp, offset in offsets.items()}


def consumer_lag(consumer: BatchConsumer[Any], positions: PositionSource | None = None) -> LagProbe:
    """The probe of a consumer's group over its topics (`positions`: where it keeps its own)."""
    spec = consumer.spec
    return LagProbe(
        consumer.bootstrap,
        spec.group,
        (topic.name for topic in spec.topics),
        consumer.security,
        positions=positions,
    )


async def lag_view(probes: Iterable[LagProbe], threshold: int) -> dict[str, Any]:
    """What /readyz shows beside its checks: each group's lag and whether all have caught up.

    Information, not a check: a service catching up after an outage (or a replay) is working
    as it should and must stay in rotation, or Kubernetes would keep every replica out until
    the backlog it alone can work off is gone. Readiness says "can work"; `caught_up` says
    "has worked off what was written", for dashboards and for reading reports."""
    shown = tuple(probes)
    # A readiness prober gives up after a few seconds: a slow broker must not make the lag
    # (information) cost the service its readiness, so the previous measurement then stands.
    lags = await asyncio.gather(*(probe(wait=READINESS_WAIT) for probe in shown))
    measured = {probe.group: lag for probe, lag in zip(shown, lags, strict=True)}
    return {
        "caught_up": all(lag.caught_up(threshold) for lag in measured.values()),
        "lag": {group: lag.view(threshold) for group, lag in measured.items()},
    }


def lag_progress(
    probes: Sequence[LagProbe], threshold: int
) -> Callable[[], Awaitable[dict[str, Any]]]:
    """`lag_view` of `probes` as health_router's `progress` (services/shared/http.py)."""

    async def progress() -> dict[str, Any]:
        return await lag_view(probes, threshold)

    return progress
