"""The Faust worker: queue and triage events in, per-region windows in tables, SLA events out.

Tables (all changelogged, so a restarted worker recovers them):
- sla-buckets: "<region>|<minute>" -> one minute's counts per dimension (event time)
- sla-region: "<region>" -> the region's meta (watermark, waiting calls, presence, flags)
- sla-seen-batches: the dedupe memory, the event ids each source partition counted between two
  commits with their offsets, one record per partition per commit (seen.py).
- sla-capacity (global): "<region>" -> arrivals, handling time, patience, operators, share:
  every worker sees every region when it picks donors.
Every bucket and region record also keeps the input positions it has taken in, so a replay
after a crash counts exactly once whichever table writes had landed (positions.py). Buckets,
metas and the dedupe memory reach their changelogs once per commit (deferred.py).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import faust

from schemas import Region
from schemas.envelope import Event
from schemas.topics import CONTACTS_CLASSIFIED, QUEUE_EVENTS, REPORTING, SLA_EVENTS, Topic
from services.reporting.counting import Windows
from services.reporting.decisions import Capacity, DecisionRules
from services.reporting.deferred import DeferredWrites, DirectWrites, Writes
from services.reporting.monitor import InboundTimesMonitor
from services.reporting.positions import Position, Taken
from services.reporting.refetch import Refetcher
from services.reporting.rewind import RewindingConsumer
from services.reporting.seen import SeenBatches
from services.reporting.settings import ReportingSettings
from services.reporting.state import RegionMeta, RegionState
from services.reporting.window import Bucket, WindowConfig, add_to_bucket
from services.shared.kafka.dead_letters import DeadLetterWriter
from services.shared.kafka.injection import InjectedFaults
from services.shared.kafka.retry import Retrier
from services.shared.kafka.security import KafkaSecurity, kafka_security
from services.shared.tracing import consumer_span, inject_headers, record_attributes

log = logging.getLogger(__name__)


class TableBuckets:
    """One region's buckets in the sla-buckets table. A value is {"counts": bucket, "taken":
    positions}, one record: a bucket and what it has taken in land together (positions.py)."""

    def __init__(self, table: Any, region: str, writes: Writes):
        self.table = table
        self.region = region
        self.writes = writes

    def _record(self, minute: int) -> dict[str, Any]:
        value: dict[str, Any] = self.table.get(f"{self.region}|{minute}") or {}
        if value and "counts" not in value:  # written before positions were kept
            return {"counts": value, "taken": {}}
        return value

    def get(self, minute: int) -> Bucket | None:
        counts: Bucket | None = self._record(minute).get("counts")
        return counts or None

    def add(self, minute: int, pairs: list[tuple[str, str]], at: Position | None = None) -> bool:
        # The record is read once: each read of a Faust table passes its sensors and mappings.
        record = self._record(minute)
        taken: Taken = dict(record.get("taken", {}))
        if at is not None:
            if at.taken_by(taken):
                return False
            at.mark(taken)
        bucket: Bucket = record.get("counts") or {}
        add_to_bucket(bucket, pairs)
        self.writes.set(self.table, f"{self.region}|{minute}", {"counts": bucket, "taken": taken})
        return True

    def drop(self, minute: int) -> None:
        self.writes.delete(self.table, f"{self.region}|{minute}")


# "sla-seen-batches", not "sla-seen": that was a windowed table whose changelog records
# (keys of [event id, window]) a plain table cannot load. An older deployment's
# `<app id>-sla-seen-changelog` is read by nothing now, and may be deleted.
TABLES = ("sla-buckets", "sla-region", "sla-seen-batches", "sla-capacity")


def changelog_topics(settings: ReportingSettings) -> tuple[Topic, ...]:
    """The tables' changelog topics, created before Faust starts: Faust creates them itself
    too, but a global table whose changelog is not there yet when the partition assignor runs
    leaves the worker waiting on recovery for good (seen on a fresh broker)."""
    return tuple(
        Topic(
            f"{settings.faust_app_id}-{name}-changelog",
            QUEUE_EVENTS.partitions,
            "region",
            (),
            retention_ms=7 * 24 * 3600 * 1000,
            compacted=True,  # sla-seen-batches too: an expired batch is deleted by a tombstone
        )
        for name in TABLES
    )


@dataclass
class Reporting:
    app: faust.App
    buckets: Any
    regions: Any
    capacity: Any
    config: WindowConfig
    rules: DecisionRules
    # In-memory views of the tables, rebuilt from them after a rebalance: building a region's
    # state from its table value on every event cost more than handling the event.
    states: dict[str, RegionState] = field(default_factory=dict)
    # The agent's retries; `retrier.degraded` names the outage it is waiting out (readiness).
    retrier: Retrier = field(default_factory=Retrier)
    # Reads again what Faust dropped before the agent (refetch.py).
    refetcher: Refetcher = field(default_factory=Refetcher)
    # How buckets and metas are written: the worker defers them to the commit (deferred.py).
    writes: Writes = field(default_factory=DirectWrites)

    def region(self, region: Region) -> RegionState:
        state = self.states.get(region.value)
        if state is None:
            meta = RegionMeta.from_dict(self.regions.get(region.value))
            buckets = TableBuckets(self.buckets, region.value, self.writes)
            state = RegionState(meta, buckets, self.config)
            self.states[region.value] = state
        return state

    def keep(self, state: RegionState, region: Region) -> None:
        """Writes the region's meta to its table."""
        self.writes.set(self.regions, region.value, state.meta.to_dict())

    def view(self, region: Region) -> RegionState:
        """For readers (the HTTP API): the agent's state when it has one, else a fresh one that
        is not kept. A reader must never seed the cache: during recovery the tables are not
        complete yet, and a state built then would stay stale."""
        state = self.states.get(region.value)
        if state is not None:
            return state
        meta = RegionMeta.from_dict(self.regions.get(region.value))
        buckets = TableBuckets(self.buckets, region.value, self.writes)  # never written here
        return RegionState(meta, buckets, self.config)

    def forget_states(self) -> None:
        self.states.clear()

    def capacities(self) -> list[Capacity]:
        return [Capacity.from_dict(v) for v in self.capacity.values() if v]


def faust_credentials(security: KafkaSecurity) -> faust.SASLCredentials | None:
    """The same principal as reporting's other clients (services/shared/kafka/security.py):
    SASL_SSL when there is a TLS context, SASL_PLAINTEXT otherwise, as Faust decides it."""
    if not security.authenticated:
        return None
    return faust.SASLCredentials(
        username=security.username,
        password=security.password,
        mechanism=security.mechanism,
        ssl_context=security.ssl_context(),
    )


# How many records the worker's consumer hands Faust at a time. Faust's default (none) hands over
# every record fetched, up to 1 MiB per partition, each turned into a record object at once: a
# worker started behind (after an outage) held tens of thousands. Measured with `python -m bench
# reporting`, alternated: started 20,006 events behind (as the bench starts it, five runs each
# way), the worker's resident peak 171-173 -> 152-156 MiB; started 140,000 behind (a scratch
# variant, two runs), 237 / 234 -> 178 / 173 MiB. The price is its catch-up rate, 6,740-7,580
# -> 5,220-6,250 events/s, for a cause not isolated (2,000 a poll was no faster: 4,220 / 5,580,
# at 155 / 158 MiB); its rate while the events are published, 4,140-5,300 -> 4,430-5,860, is
# unchanged. A worker killed at its memory limit while catching up would never catch up at all.
# Its tables' recovery from their changelogs takes the same 500 a poll (not measured).
POLL_RECORDS = 500
# How much the worker's consumer fetches per partition at a time (aiokafka's
# max_partition_fetch_bytes; Faust's default 4 MiB). Fetched records wait in the consumer until
# polled, so while the worker catches up a backlog every partition behind holds up to this
# much. `python -m bench reporting` started 70,000 events behind (a scratch variant), 2026-12-07
# 02:10-02:35, alternated: the worker's resident peak 150.8 / 149.3 / 152.5 / 160.7 MiB at
# 4 MiB -> 145.0 / 147.5 / 153.0 / 147.4 at 256 KiB (1 MiB: 149.5 / 157.2 / 153.7), its
# catch-up rate no lower (2,898-5,024 -> 3,308-5,081 events/s in the same runs). A fetch still
# returns a record larger than this whole.
FETCH_BYTES = 256 * 1024


def faust_app(settings: ReportingSettings) -> faust.App:
    return faust.App(
        settings.faust_app_id,
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        broker_credentials=faust_credentials(kafka_security(settings)),
        store=settings.table_store,
        datadir=str(settings.state_dir / "faust"),
        topic_replication_factor=settings.topic_replication_factor,
        topic_partitions=QUEUE_EVENTS.partitions,
        web_enabled=False,
        Monitor=InboundTimesMonitor,  # what Faust's web views would read is not kept
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # A changelog record per key written at each commit (deferred.py): a short linger
        # lets them share requests, and compressed (services/shared/kafka_tuning.py).
        producer_linger=settings.kafka_linger_ms / 1000,
        producer_compression_type=settings.producer_tuning().compression_type,
        # A worker killed with -9 holds its partitions until its session times out: Faust's
        # 60 s default left regions uncounted for a minute after each kill. The shared
        # consumers use aiokafka's 10 s; heartbeats run on their own task, every 3 s.
        broker_session_timeout=15.0,
        broker_heartbeat_interval=3.0,
        broker_max_poll_records=POLL_RECORDS,
        consumer_max_fetch_size=FETCH_BYTES,
    )


def tables(
    app: faust.App, config: WindowConfig, rules: DecisionRules, dedupe_horizon: timedelta
) -> tuple[Reporting, SeenBatches]:
    """The worker's tables (see the module's docstring): the reporting view and the dedupe
    memory, both written to their changelogs at each commit."""
    partitions = QUEUE_EVENTS.partitions
    buckets = app.Table("sla-buckets", default=dict, partitions=partitions)
    regions = app.Table("sla-region", default=dict, partitions=partitions)
    batches = app.Table("sla-seen-batches", default=dict, partitions=partitions)
    capacity = app.GlobalTable("sla-capacity", default=dict, partitions=partitions)
    writes = DeferredWrites()
    reporting = Reporting(app, buckets, regions, capacity, config, rules, writes=writes)
    return reporting, SeenBatches(batches, dedupe_horizon, writes)


def build(settings: ReportingSettings, config: WindowConfig, rules: DecisionRules) -> Reporting:
    app = faust_app(settings)
    raw: dict[str, Any] = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    # Both topics are keyed by region with the same partition count: co-partitioned.
    source = app.topic(QUEUE_EVENTS.name, CONTACTS_CLASSIFIED.name, **raw)
    sla_topic = app.topic(SLA_EVENTS.name, key_serializer="raw", value_serializer="raw")
    horizon = timedelta(hours=settings.dedupe_hours)
    reporting, seen = tables(app, config, rules, horizon)
    reporting.refetcher.connect(
        settings.kafka_bootstrap_servers, kafka_security(settings), settings.faust_app_id
    )

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode types the signal narrowly
    async def on_revoked(sender: Any, *args: Any, **kwargs: Any) -> None:
        reporting.forget_states()  # another worker may own those regions now
        seen.forget()

    async def publish(event: Event, region: Region) -> None:
        headers = inject_headers([("event_type", event.EVENT_TYPE.encode())])
        await sla_topic.send(key=region.value.encode(), value=event.to_json(), headers=headers)

    async def send_dead_letter(
        topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        await app.topic(topic, key_serializer="raw", value_serializer="raw").send(
            key=key, value=value, headers=headers
        )

    # The shared consumers' writer and headers.
    dead_letters = DeadLetterWriter(REPORTING, send_dead_letter)

    async def dead_letter(record: Any, reason: str, attempts: int) -> None:
        await dead_letters.write(record.message, reason, attempts)

    windows = Windows(
        reporting, seen, publish, dead_letter, admit=InjectedFaults.from_environment()
    )

    @app.agent(source, name="sla-windows")
    async def sla_windows(stream: Any) -> None:
        async for record in stream.events():
            message = record.message
            attributes = record_attributes(message.topic, message.partition, message.offset)
            with consumer_span(f"{message.topic} process", message.headers, attributes) as span:
                await reporting.refetcher.fill(app.consumer, message, windows.handle, span)
                await windows.handle(record, span)

    @app.timer(interval=settings.tail_check_seconds)  # type: ignore[untyped-decorator]
    async def reread_dropped_tails() -> None:
        """Faust's dropped last records of a quiet partition are read again (rewind.py)."""
        consumer = app.consumer
        if isinstance(consumer, RewindingConsumer) and not (app.rebalancing or app.in_recovery):
            await consumer.reread_dropped_tails()

    return reporting
