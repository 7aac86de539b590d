"""The queueing process: its API, its consumer, the outbox relay and the sweeper."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.queueing.api import ROUTERS
from services.queueing.bootstrap import QueueingProcess, bootstrap
from services.queueing.callback_routes import router as callback_router
from services.queueing.cases.api import ROUTERS as CASE_ROUTERS
from services.queueing.dependencies import map_refusals
from services.queueing.settings import QueueingSettings
from services.queueing.wait_routes import router as wait_router
from services.shared.clock import Clock
from services.shared.http import DatabaseProbe, harden, health_router, service_app
from services.shared.kafka.lag import consumer_lag, lag_progress
from services.shared.runtime import running


def create_app(settings: QueueingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return app_for(bootstrap(settings, clock))


def app_for(process: QueueingProcess) -> FastAPI:
    """The HTTP app over what the composition root built."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(process.producer, (process.consumer,), process.background()):
            yield
        process.relay.step_down()  # a clean stop: another replica's relay takes over at once

    app = service_app(
        "PKC queueing",
        lifespan,
        description="Regional operator queues, operators, reinforcement routing.",
    )
    settings = process.core.settings
    harden(app, settings.identity(), page_origins=settings.page_origin_list())
    map_refusals(app)

    database = DatabaseProbe(process.core.db.engine)

    async def ready() -> dict[str, Any]:
        return {
            "consumer_assigned": process.consumer.assigned.is_set(),
            # False while it waits out an outage (the database locked or down, the broker).
            "consumer_flowing": process.consumer.degraded is None,
            "database": await database(),
        }

    # The group's lag, shown on /readyz and never a check (lag_view says why).
    lag = lag_progress((consumer_lag(process.consumer),), process.core.settings.caught_up_lag)
    app.include_router(health_router(ready, lag))
    app.state.queueing = process.core  # what the routes' dependencies hand them
    for router in (wait_router, *ROUTERS, callback_router):  # /queues/wait before /{region}
        app.include_router(router)
    for router in CASE_ROUTERS:  # cases the citizen follows (services/queueing/cases)
        app.include_router(router)
    return app
