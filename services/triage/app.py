"""The triage process: a Kafka consumer with health endpoints (assembled by bootstrap)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.shared.clock import Clock
from services.shared.http import harden, health_router
from services.shared.kafka.lag import consumer_lag, lag_view
from services.shared.runtime import running
from services.triage.bootstrap import bootstrap
from services.triage.settings import TriageSettings


def create_app(settings: TriageSettings | None = None, clock: Clock | None = None) -> FastAPI:
    triage = bootstrap(settings, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(triage.producer, (triage.consumer,)):
            yield

    app = FastAPI(title="PKC triage", version="1", lifespan=lifespan)
    harden(app, triage.settings.identity())

    async def ready() -> dict[str, Any]:
        return {
            "consumer_assigned": triage.consumer.assigned.is_set(),
            "consumer_flowing": triage.consumer.degraded is None,
            "rules": triage.classifier.version,
        }

    lag = consumer_lag(triage.consumer)  # shown on /readyz, never a check (lag_view says why)

    async def progress() -> dict[str, Any]:
        return await lag_view((lag,), triage.settings.caught_up_lag)

    app.include_router(health_router(ready, progress))
    return app
