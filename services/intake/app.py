"""Intake's HTTP app: assembled by bootstrap, routes in api and status_routes; Kafka (the
producer, the consumer following the contacts' statuses and the one taking the adapters' Kafka
submissions), the callback sender and the retention purge started by the lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.intake import status_routes
from services.intake.api import hot_contacts, map_errors, router
from services.intake.bootstrap import bootstrap
from services.intake.ratings import router as ratings_router
from services.intake.settings import IntakeSettings
from services.shared.clock import Clock
from services.shared.http import DatabaseProbe, harden, health_router, service_app
from services.shared.runtime import running


def create_app(settings: IntakeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    intake = bootstrap(settings, clock)
    started = {"producer": False}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        background = (intake.retention(), intake.sender.run())
        async with running(intake.producer, (intake.consumer, intake.submissions), background):
            started["producer"] = True
            yield
        await intake.sender.client.aclose()
        await intake.places.client.aclose()

    app = service_app("PKC intake", lifespan)
    app.state.intake = intake
    settings = intake.settings
    hot_contacts(app)  # inside harden's body limit and spans
    harden(app, settings.identity(), settings.max_body_bytes, settings.page_origin_list())
    map_errors(app)

    database = DatabaseProbe(intake.accepted.engine)

    async def ready() -> dict[str, Any]:
        # The broker too: while the producer cannot reach it, a POST could only time out.
        broker = started["producer"] and await intake.broker.reachable()
        return started | {"broker": broker, "database": await database()}

    app.include_router(health_router(ready))
    app.include_router(router)
    app.include_router(status_routes.router)
    app.include_router(ratings_router)
    return app
