"""Reporting's read API around its Faust worker (composition root)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from schemas import Region, SlaWindow
from services.reporting.settings import ReportingSettings
from services.reporting.stream import build
from services.shared.http import harden, health_router


class RegionSla(BaseModel):
    region: Region
    window: SlaWindow
    in_breach: bool
    late_events: int


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    reporting = build(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await reporting.app.start()
        try:
            yield
        finally:
            await reporting.app.stop()

    app = FastAPI(title="PKC reporting", version="1", lifespan=lifespan)
    harden(app)

    async def ready() -> dict[str, Any]:
        assigned = bool(reporting.app.consumer.assignment()) if reporting.app.started else False
        return {"consumer_assigned": assigned}

    app.include_router(health_router(ready))

    @app.get("/sla")
    async def sla() -> list[RegionSla]:
        """The rolling window of every region, ending at its newest event (event time)."""
        result = []
        for region in Region:
            state = reporting.region_window(region)
            result.append(
                RegionSla(
                    region=region,
                    window=state.window(reporting.config),
                    in_breach=state.in_breach,
                    late_events=state.late,
                )
            )
        return result

    return app
