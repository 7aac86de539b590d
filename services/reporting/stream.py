"""The Faust worker: queue and triage events in, per-region windows in tables, SLA events out.

Tables (all changelogged, so a restarted worker recovers them):
- sla-buckets: "<region>|<minute>" -> one minute's counts per dimension (event time)
- sla-region: "<region>" -> the region's meta (watermark, waiting calls, presence, flags)
- sla-seen: event_id -> True, in 10-minute wall-clock windows kept 30 minutes: the dedupe
  memory. A redelivery (an outbox re-send, or this worker replaying after a crash) comes
  within minutes of wall-clock time, even when the event itself is from a replayed month.
- sla-capacity (global): "<region>" -> arrivals, handling time, patience, operators, share:
  every worker sees every region when it picks donors.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import faust
from opentelemetry.trace import StatusCode

from schemas import Region
from schemas.codec import UndecodableEvent, decode_event
from schemas.envelope import Event
from schemas.topics import CONTACTS_CLASSIFIED, QUEUE_EVENTS, REPORTING, SLA_EVENTS, Topic
from services.reporting.decisions import Capacity, DecisionRules, decide_step
from services.reporting.settings import ReportingSettings
from services.reporting.state import RegionMeta, RegionState
from services.reporting.window import Bucket, WindowConfig
from services.shared.kafka.dead_letters import DeadLetterWriter
from services.shared.kafka.faults import Refused, describe
from services.shared.kafka.injection import InjectedFaults
from services.shared.kafka.retry import Failure, Retrier
from services.shared.kafka.security import KafkaSecurity, kafka_security
from services.shared.tracing import consumer_span, inject_headers, record_attributes

log = logging.getLogger(__name__)
SEEN_WINDOW = 600.0


class TableBuckets:
    """One region's buckets in the sla-buckets table."""

    def __init__(self, table: Any, region: str):
        self.table = table
        self.region = region

    def get(self, minute: int) -> Bucket | None:
        value = self.table.get(f"{self.region}|{minute}")
        return value if value else None

    def put(self, minute: int, bucket: Bucket) -> None:
        self.table[f"{self.region}|{minute}"] = bucket

    def drop(self, minute: int) -> None:
        key = f"{self.region}|{minute}"
        if key in self.table:
            del self.table[key]


TABLES = ("sla-buckets", "sla-region", "sla-seen", "sla-capacity")


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
            compacted=name != "sla-seen",
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

    def region(self, region: Region) -> RegionState:
        state = self.states.get(region.value)
        if state is None:
            meta = RegionMeta.from_dict(self.regions.get(region.value))
            state = RegionState(meta, TableBuckets(self.buckets, region.value), self.config)
            self.states[region.value] = state
        return state

    def view(self, region: Region) -> RegionState:
        """For readers (the HTTP API): the agent's state when it has one, else a fresh one that
        is not kept. A reader must never seed the cache: during recovery the tables are not
        complete yet, and a state built then would stay stale."""
        state = self.states.get(region.value)
        if state is not None:
            return state
        meta = RegionMeta.from_dict(self.regions.get(region.value))
        return RegionState(meta, TableBuckets(self.buckets, region.value), self.config)

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
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Three changelog records per event: a short linger lets them share requests.
        producer_linger=0.005,
        table_cleanup_interval=30.0,
    )


def tables(app: faust.App, config: WindowConfig, rules: DecisionRules) -> tuple[Reporting, Any]:
    """The worker's tables (see the module's docstring): the reporting view and `sla-seen`."""
    partitions = QUEUE_EVENTS.partitions
    buckets = app.Table("sla-buckets", default=dict, partitions=partitions)
    regions = app.Table("sla-region", default=dict, partitions=partitions)
    seen = (
        app.Table("sla-seen", default=bool, partitions=partitions)
        .tumbling(SEEN_WINDOW, expires=timedelta(seconds=3 * SEEN_WINDOW))
        .relative_to_now()
    )
    capacity = app.GlobalTable("sla-capacity", default=dict, partitions=partitions)
    return Reporting(app, buckets, regions, capacity, config, rules), seen


Send = Callable[[Event, Region], Awaitable[None]]
DeadLetter = Callable[[Any, str, int], Awaitable[None]]
Admit = Callable[[Event], Awaitable[None]]  # before counting: where faults are injected


class Windows:
    """One record in: decode, skip a redelivery, count, decide, publish, keep the tables.

    Nothing is acknowledged silently: poison is dead-lettered with the reason; a transient
    failure is retried here for as long as it lasts (the agent takes one record at a time, so
    its partitions wait in order, while Faust's fetcher keeps the worker in its group).
    Counting is pure and marked seen at once: a retried publish never counts twice."""

    def __init__(
        self, reporting: Reporting, seen: Any, send: Send, dead_letter: DeadLetter, admit: Admit
    ):
        self.reporting, self.seen = reporting, seen
        self.send, self.dead_letter = send, dead_letter
        self.admit, self.retrying = admit, reporting.retrier

    async def handle(self, record: Any, span: Any) -> None:
        try:
            event = decode_event(record.value)
        except UndecodableEvent as exc:
            await self._give_up(record, Failure(str(exc), 1), span)
            return
        span.set_attribute("pkc.event_type", event.EVENT_TYPE)
        if (contact_id := getattr(event, "contact_id", None)) is not None:
            span.set_attribute("pkc.contact_id", str(contact_id))
        counted = await self.retrying(lambda: self._take(event), "sla-windows count")
        if isinstance(counted, Failure):
            await self._give_up(record, counted, span)
            return
        for item, region in counted:
            sent = await self.retrying(partial(self.send, item, region), "sla-windows publish")
            if isinstance(sent, Failure):
                await self._give_up(record, sent, span)
                return

    async def _take(self, event: Event) -> list[tuple[Event, Region]]:
        """What to publish for `event` once it is counted (nothing for a redelivery)."""
        await self.admit(event)
        region = getattr(event, "region", None)
        if not isinstance(region, Region) or not self._first_time(event):
            return []
        try:
            outgoing = self._count(event, region)
        except Exception as exc:  # pure rules: the same event fails the same way again
            raise Refused(f"cannot count it: {describe(exc)}") from exc
        self.seen[str(event.event_id)] = True
        return [(item, region) for item in outgoing]

    async def _give_up(self, record: Any, failure: Failure, span: Any) -> None:
        """Dead-letters the record (waiting out an outage), or stops the agent: never acks it."""
        span.set_status(StatusCode.ERROR, failure.reason)
        written = await self.retrying(
            partial(self.dead_letter, record, failure.reason, failure.attempts),
            "sla-windows dead letter",
        )
        if isinstance(written, Failure):
            raise RuntimeError(f"a record could not be dead-lettered: {written.reason}")

    def _first_time(self, event: Event) -> bool:
        key = str(event.event_id)
        # A redelivery: counted already.
        return not (self.seen[key].now() or self.seen[key].delta(SEEN_WINDOW))

    def _count(self, event: Event, region: Region) -> list[Event]:
        reporting = self.reporting
        state = reporting.region(region)
        minute_before, operators_before = state.meta.latest, len(state.meta.operators)
        state.apply(event)
        outgoing, summary = decide_step(region, state, event, reporting.capacities, reporting.rules)
        reporting.regions[region.value] = state.meta.to_dict()
        # Other regions read this only to plan a reinforcement: refreshing it once per minute
        # of event time, and when staffing changes, spares a changelog write per event.
        moved = state.meta.latest != minute_before or len(state.meta.operators) != operators_before
        if moved or region.value not in reporting.capacity:
            reporting.capacity[region.value] = summary.to_dict()
        return list(outgoing)


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
    reporting, seen = tables(app, config, rules)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode types the signal narrowly
    async def on_revoked(sender: Any, *args: Any, **kwargs: Any) -> None:
        reporting.forget_states()  # another worker may own those regions now

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
                await windows.handle(record, span)

    return reporting
