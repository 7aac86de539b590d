"""Intake's HTTP app: assembled by bootstrap, routes in api, Kafka started by the lifespan."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI

from services.intake.api import map_errors, router
from services.intake.bootstrap import bootstrap
from services.intake.ratings import router as ratings_router
from services.intake.settings import IntakeSettings
from services.shared.clock import Clock
from services.shared.http import DatabaseProbe, harden, health_router


def create_app(settings: IntakeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    intake = bootstrap(settings, clock)
    started = {"producer": False}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await intake.producer.start()
        started["producer"] = True
        purging = asyncio.create_task(intake.retention())
        yield
        purging.cancel()
        with suppress(asyncio.CancelledError):
            await purging
        await intake.producer.stop()

    app = FastAPI(title="PKC intake", version="1", lifespan=lifespan)
    app.state.intake = intake
    settings = intake.settings
    harden(app, settings.identity(), settings.max_body_bytes, settings.page_origin_list())
    map_errors(app)

    database = DatabaseProbe(intake.accepted.engine)

    async def ready() -> dict[str, Any]:
        # The broker too: while the producer cannot reach it, a POST could only time out.
        broker = started["producer"] and await intake.broker.reachable()
        return started | {"broker": broker, "database": await database()}

    app.include_router(health_router(ready))
    app.include_router(router)
    app.include_router(ratings_router)
    return app
