"""Reporting's read API around its Faust worker (composition root)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from schemas import Region, SlaWindow
from services.reporting.dashboard import dashboard_router
from services.reporting.flush import install_complete_flush
from services.reporting.monthly import (
    build_monthly_consumer,
    build_monthly_router,
    open_monthly_store,
)
from services.reporting.settings import ReportingSettings
from services.reporting.stream import Reporting, build, changelog_topics
from services.shared.http import harden, health_router
from services.shared.kafka import EventProducer
from services.shared.kafka_admin import create_topics
from services.shared.runtime import running


class RegionSla(BaseModel):
    region: Region
    window: SlaWindow
    in_breach: bool
    breach_predicted: bool
    waiting_calls: int
    operators: int
    handling_seconds: float
    patience_seconds: float | None
    late_events: int
    orders: list[str] = []
    trend: list[float | None] = []
    by_channel: dict[str, SlaWindow] = {}
    by_category: dict[str, SlaWindow] = {}


def region_sla(reporting: Reporting, region: Region, detail: bool) -> RegionSla:
    state = reporting.view(region)
    meta = state.meta
    view = RegionSla(
        region=region,
        window=state.window(),
        in_breach=meta.in_breach,
        breach_predicted=meta.predicted,
        waiting_calls=sum(meta.waiting.values()),
        operators=len(meta.operators),
        handling_seconds=state.handling(),
        patience_seconds=meta.patience_seconds,
        late_events=meta.late,
        orders=sorted(meta.orders),
        trend=meta.trend,
    )
    if detail:
        for dimension in sorted(meta.dimensions):
            kind, _, name = dimension.partition(":")
            target = {"channel": view.by_channel, "category": view.by_category}.get(kind)
            if target is not None:
                target[name] = state.window(dimension)
    return view


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    reporting = build(settings)
    # The monthly follow-up: its own store and consumer group beside the Faust worker.
    monthly_store = open_monthly_store(settings)
    monthly_producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-reporting-monthly")
    monthly = build_monthly_consumer(settings, monthly_store, monthly_producer)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await create_topics(
            settings.kafka_bootstrap_servers,
            changelog_topics(settings),
            settings.topic_replication_factor,
        )
        (settings.state_dir / "faust").mkdir(parents=True, exist_ok=True)  # Faust won't
        install_complete_flush(reporting.app)  # in this loop, before the producer starts
        await reporting.app.start()
        try:
            async with running(monthly_producer, background=(monthly.run(),)):
                yield
        finally:
            await reporting.app.stop()

    app = FastAPI(
        title="PKC reporting",
        version="1",
        lifespan=lifespan,
        description="Rolling per-region service levels against 85 % within 10 min.",
    )
    harden(app)

    async def ready() -> dict[str, Any]:
        started = reporting.app.started
        assigned = bool(reporting.app.consumer.assignment()) if started else False
        recovery = getattr(reporting.app.tables, "recovery", None)
        recovered = bool(started and recovery is not None and recovery.completed.is_set())
        return {
            "consumer_assigned": assigned,
            "tables_recovered": recovered,
            "monthly_assigned": monthly.assigned.is_set(),
        }

    app.include_router(health_router(ready))
    app.state.reporting = reporting

    def snapshot() -> list[dict[str, object]]:
        return [region_sla(reporting, r, detail=False).model_dump(mode="json") for r in Region]

    app.include_router(dashboard_router(snapshot, settings.live_interval_seconds))
    app.include_router(build_monthly_router(monthly_store, settings.sla_target))

    @app.get("/sla")
    async def sla() -> list[RegionSla]:
        """Every region's rolling window, ending at its newest event (event time)."""
        return [region_sla(reporting, region, detail=False) for region in Region]

    @app.get("/sla/{region}")
    async def sla_of(region: Region) -> RegionSla:
        """One region, with its windows per channel and per need category."""
        return region_sla(reporting, region, detail=True)

    return app
