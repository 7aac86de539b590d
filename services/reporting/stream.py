"""The Faust worker: queue events in, per-region windows in a table, SLA events out."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import faust

from schemas import Region, SlaBreached, SlaRecovered, SlaStatus
from schemas.codec import UndecodableEvent, decode_event
from schemas.envelope import Event
from schemas.topics import QUEUE_EVENTS, REPORTING, SLA_EVENTS
from services.reporting.breach import BreachPolicy, Transition, decide
from services.reporting.settings import ReportingSettings
from services.reporting.window import RegionWindow, WindowConfig
from services.shared.logs import fields
from services.shared.runtime import derived_id

log = logging.getLogger(__name__)
TABLE = "sla-region-window"


@dataclass
class Reporting:
    app: faust.App
    table: Any
    config: WindowConfig
    policy: BreachPolicy

    def region_window(self, region: Region) -> RegionWindow:
        return RegionWindow.from_dict(self.table.get(region.value))


def build(settings: ReportingSettings) -> Reporting:
    app = faust.App(
        "pkc-reporting",
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        store=settings.table_store,
        topic_replication_factor=settings.topic_replication_factor,
        topic_partitions=QUEUE_EVENTS.partitions,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        table_cleanup_interval=60.0,
    )
    config = WindowConfig(
        length=timedelta(minutes=settings.window_minutes),
        step=timedelta(minutes=settings.step_minutes),
        short_abandon_seconds=settings.short_abandon_seconds,
    )
    policy = BreachPolicy(settings.target, settings.recovery_margin, settings.min_volume)
    source = app.topic(
        QUEUE_EVENTS.name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    sla_topic = app.topic(SLA_EVENTS.name, key_serializer="raw", value_serializer="raw")
    dead_letters = app.topic(
        REPORTING.dead_letter.name, key_serializer="raw", value_serializer="raw"
    )
    table = app.Table(TABLE, default=dict, partitions=QUEUE_EVENTS.partitions)
    reporting = Reporting(app, table, config, policy)

    async def publish(event: Event, region: Region) -> None:
        await sla_topic.send(
            key=region.value.encode(),
            value=event.to_json(),
            headers=[("event_type", event.EVENT_TYPE.encode())],
        )

    @app.agent(source, name="sla-windows")
    async def sla_windows(stream: Any) -> None:
        async for record in stream.events():
            try:
                event = decode_event(record.value)
            except UndecodableEvent as exc:
                await dead_letters.send(
                    key=record.key,
                    value=record.value,
                    headers=[
                        ("dlq.reason", str(exc).encode()),
                        ("dlq.consumer", b"reporting"),
                        ("dlq.topic", QUEUE_EVENTS.name.encode()),
                    ],
                )
                log.warning("record dead-lettered", extra=fields(reason=str(exc)))
                continue
            region = getattr(event, "region", None)
            if not isinstance(region, Region):
                continue
            state = reporting.region_window(region)
            if not state.record(event, config):
                table[region.value] = state.to_dict()  # keeps the late count
                continue
            for outgoing in step(region, state, event, reporting):
                await publish(outgoing, region)
            table[region.value] = state.to_dict()

    return reporting


def step(region: Region, state: RegionWindow, cause: Event, reporting: Reporting) -> list[Event]:
    """After counting an event: the breach verdict, and a status once per window step."""
    window = state.window(reporting.config)
    episode = uuid.UUID(state.episode_id) if state.episode_id else None
    verdict = decide(region, window, state.in_breach, episode, reporting.policy)
    out: list[Event] = []
    if verdict.transition == Transition.BREACHED and verdict.episode_id:
        out.append(
            SlaBreached(
                event_id=derived_id(verdict.episode_id, "SlaBreached"),
                occurred_at=cause.occurred_at,
                region=region,
                episode_id=verdict.episode_id,
                window=window,
                target=reporting.policy.target,
            )
        )
    elif verdict.transition == Transition.RECOVERED and verdict.episode_id:
        out.append(
            SlaRecovered(
                event_id=derived_id(verdict.episode_id, "SlaRecovered"),
                occurred_at=cause.occurred_at,
                region=region,
                episode_id=verdict.episode_id,
                window=window,
                target=reporting.policy.target,
            )
        )
    state.in_breach = verdict.in_breach
    state.episode_id = str(verdict.episode_id) if verdict.episode_id else None
    step_minutes = int(reporting.config.step.total_seconds()) // 60
    if out or state.latest >= state.last_status_minute + step_minutes:
        state.last_status_minute = state.latest
        out.append(
            SlaStatus(
                event_id=derived_id(cause.event_id, "SlaStatus"),
                occurred_at=cause.occurred_at,
                region=region,
                window=window,
                in_breach=state.in_breach,
            )
        )
    return out
