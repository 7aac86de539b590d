"""Reporting's composition root: the one place the service is assembled.

`core` builds the settings, the service-level policy (once, from PKC_SLA_*) and what follows
from it (the window's configuration, the decision rules); `bootstrap` adds the adapters (the
Faust worker and its tables, the monthly store, its consumer); `create_app` puts the HTTP app
around them. The app (`services/reporting/app.py`), `pkc report`, the tests and the bench all
come through here, so none of them re-assembles the service or re-types a figure of the policy.
Nothing here connects at import time; the lifespan starts what connects.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from domain.service_level import ServiceLevelPolicy
from schemas.topics import REPORTING
from services.reporting import api, dashboard
from services.reporting.decisions import DecisionRules
from services.reporting.fetching import fetching
from services.reporting.flush import install_complete_flush
from services.reporting.monthly import api as monthly_api
from services.reporting.monthly import (
    build_monthly_consumer,
    monthly_lag,
    monthly_report,
    open_monthly_store,
    written_threshold_seconds,
)
from services.reporting.monthly.months import BadMonth
from services.reporting.monthly.report import MonthlyReport
from services.reporting.monthly.store import MonthlyStore
from services.reporting.rewind import install_rewinding_consumer
from services.reporting.service import Core, ReportingService
from services.reporting.settings import ReportingSettings
from services.reporting.stream import build, changelog_topics
from services.reporting.window import WindowConfig
from services.shared.http import DatabaseProbe, harden, health_router, service_app
from services.shared.kafka import EventProducer, kafka_security
from services.shared.kafka.lag import Lag, LagProbe, lag_progress
from services.shared.kafka_admin import create_topics
from services.shared.runtime import running


def core(settings: ReportingSettings | None = None) -> Core:
    settings = settings or ReportingSettings()
    policy = settings.service_level()
    config = WindowConfig(
        length=timedelta(minutes=settings.window_minutes),
        step=timedelta(minutes=settings.step_minutes),
        policy=policy,
    )
    rules = DecisionRules(
        policy,
        prediction_horizon_seconds=settings.prediction_horizon_seconds,
        step_minutes=settings.step_minutes,
        reinforcement_minutes=settings.reinforcement_minutes,
    )
    return Core(settings, policy, config, rules)


@dataclass(frozen=True)
class MonthlyReader:
    """The monthly follow-up for readers outside the service (`pkc report monthly`)."""

    policy: ServiceLevelPolicy
    store: MonthlyStore
    lag: LagProbe  # how far the store has counted the topics
    written_threshold_seconds: float  # the written channels' target

    def report(self, month: str, lag: Lag | None = None) -> MonthlyReport:
        return monthly_report(self.store, month, self.policy, lag, self.written_threshold_seconds)


def monthly_reader(
    settings: ReportingSettings | None = None, database_url: str | None = None
) -> MonthlyReader:
    shared = core(settings)
    store = open_monthly_store(shared.settings, database_url)
    lag = monthly_lag(shared.settings, store)
    written = written_threshold_seconds(shared.settings)
    return MonthlyReader(shared.policy, store, lag, written)


def bootstrap(settings: ReportingSettings | None = None) -> ReportingService:
    shared = core(settings)
    settings = shared.settings
    # The monthly follow-up: its own store and consumer group beside the Faust worker.
    store = open_monthly_store(settings)
    producer = EventProducer(
        settings.kafka_bootstrap_servers,
        "pkc-reporting-monthly",
        kafka_security(settings),
        settings.producer_tuning(),
    )
    return ReportingService(
        core=shared,
        stream=build(settings, shared.config, shared.rules),
        monthly_store=store,
        monthly_producer=producer,
        monthly=build_monthly_consumer(settings, shared.policy, store, producer),
    )


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    return http_app(bootstrap(settings))


def http_app(service: ReportingService) -> FastAPI:
    app = service_app(
        "PKC reporting",
        _lifespan(service),
        description=f"Rolling per-region service levels against {service.policy.describe('en')}.",
    )
    settings = service.core.settings
    harden(app, settings.identity(), page_origins=settings.page_origin_list())
    app.state.service = service
    app.add_exception_handler(BadMonth, _bad_month)
    app.add_exception_handler(OperationalError, _store_unavailable)
    database = DatabaseProbe(service.monthly_store.engine)
    # Both consumers' lag beside the checks (never one: lag_view says why); the monthly one
    # against the store, which the report states too (monthly/api.py).
    app.state.monthly_lag = monthly_lag(settings, service.monthly_store)
    lag = lag_progress((_worker_lag(settings), app.state.monthly_lag), settings.caught_up_lag)

    async def progress() -> dict[str, Any]:
        # Information, never a check: assigned partitions not fetched (a stalled worker).
        worker = service.stream.app
        shown = worker.started and bool(worker.consumer.assignment())
        return {**await lag(), "fetching": fetching(worker) if shown else None}

    app.include_router(health_router(lambda: _ready(service, database), progress))
    # The dashboard first: its /sla/stream must not be taken for a region by /sla/{region}.
    app.include_router(dashboard.router)
    app.include_router(api.router)
    app.include_router(monthly_api.router)
    return app


def _lifespan(service: ReportingService) -> Any:
    settings, worker = service.core.settings, service.stream.app

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await create_topics(
            settings.kafka_bootstrap_servers,
            changelog_topics(settings),
            settings.topic_replication_factor,
            kafka_security(settings),
        )
        (settings.state_dir / "faust").mkdir(parents=True, exist_ok=True)  # Faust won't
        # In this loop, before the producer starts; its flush sends the deferred table writes.
        install_complete_flush(worker, service.stream.writes.send)
        install_rewinding_consumer(worker)  # likewise, before anything makes the consumer
        await worker.start()
        try:
            async with running(service.monthly_producer, background=(service.monthly.run(),)):
                yield
        finally:
            await worker.stop()
            await service.stream.refetcher.stop()

    return lifespan


def _worker_lag(settings: ReportingSettings) -> LagProbe:
    """The Faust worker's group (its app id) over its topics."""
    topics = (topic.name for topic in REPORTING.topics)
    return LagProbe(
        settings.kafka_bootstrap_servers, settings.faust_app_id, topics, kafka_security(settings)
    )


async def _ready(service: ReportingService, database: DatabaseProbe) -> dict[str, Any]:
    worker = service.stream.app
    started = worker.started
    assigned = bool(worker.consumer.assignment()) if started else False
    recovery = getattr(worker.tables, "recovery", None)
    recovered = bool(started and recovery is not None and recovery.completed.is_set())
    return {
        "consumer_assigned": assigned,
        "tables_recovered": recovered,
        "monthly_assigned": service.monthly.assigned.is_set(),
        # False while the agent or the monthly consumer waits out an outage.
        "consumer_flowing": service.stream.retrier.degraded is None,
        "monthly_flowing": service.monthly.degraded is None,
        "database": await database(),
    }


async def _bad_month(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
    # Not the driver's message: it can quote the statement's parameters.
    return JSONResponse(
        {"detail": "the monthly store is unavailable; try again shortly"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


__all__ = ["MonthlyReader", "ReportingService", "bootstrap", "core", "create_app", "http_app"]
