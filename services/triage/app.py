"""The triage process: a Kafka consumer with health endpoints (assembled by bootstrap)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.shared.clock import Clock
from services.shared.http import harden, health_router, service_app
from services.shared.kafka.lag import consumer_lag, lag_progress
from services.shared.runtime import running
from services.triage.bootstrap import bootstrap
from services.triage.settings import TriageSettings


def create_app(settings: TriageSettings | None = None, clock: Clock | None = None) -> FastAPI:
    triage = bootstrap(settings, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(triage.producer, (triage.consumer,)):
            yield

    app = service_app("PKC triage", lifespan)
    harden(app, triage.settings.identity(), page_origins=triage.settings.page_origin_list())

    async def ready() -> dict[str, Any]:
        return {
            "consumer_assigned": triage.consumer.assigned.is_set(),
            "consumer_flowing": triage.consumer.degraded is None,
            "rules": triage.classifier.version,
        }

    # The group's lag, shown on /readyz and never a check (lag_view says why).
    lag = lag_progress((consumer_lag(triage.consumer),), triage.settings.caught_up_lag)
    app.include_router(health_router(ready, lag))
    return app
