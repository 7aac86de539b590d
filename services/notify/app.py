"""Notify's process: the SLA-event consumer, the delivery loop, and the HTTP API, assembled by
the composition root (bootstrap) and served by FastAPI."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.notify import ack_routes, api
from services.notify.bootstrap import Notify, bootstrap
from services.notify.settings import NotifySettings
from services.shared.clock import Clock
from services.shared.http import DatabaseProbe, harden, health_router, service_app
from services.shared.kafka.lag import consumer_lag, lag_progress


def create_app(settings: NotifySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    return app_for(bootstrap(settings, clock))


def app_for(notify: Notify) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with notify.running():
            yield

    database = DatabaseProbe(notify.engine)

    async def ready() -> dict[str, Any]:
        return {
            "consumer_assigned": notify.consumer.assigned.is_set(),
            "consumer_flowing": notify.consumer.degraded is None,
            "database": await database(),
        }

    app = service_app("PKC notify", lifespan)
    app.state.notify = notify
    harden(app, notify.settings.identity(), page_origins=notify.settings.page_origin_list())
    # The group's lag, shown on /readyz and never a check (lag_view says why).
    lag = lag_progress((consumer_lag(notify.consumer),), notify.settings.caught_up_lag)
    app.include_router(health_router(ready, lag))
    api.install(app)
    app.include_router(ack_routes.link_router)
    return app
