"""The live dashboard: one page, fed by server-sent events of every region's figures.

The page's words about the target (its share, threshold and hours) are the service-level
policy's, filled in on the server: change PKC_SLA_TARGET and the page says the new target.
"""

import asyncio
import functools
import json
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from domain.service_level import ServiceLevelPolicy
from services.reporting.api import every_region
from services.reporting.service import Policy, Service

PAGE = Path(__file__).with_name("dashboard.html")
router = APIRouter(tags=["dashboard"])


@functools.cache
def _template() -> str:
    return PAGE.read_text(encoding="utf-8")


def render_page(policy: ServiceLevelPolicy) -> str:
    values = {
        "target_percent": policy.target_percent,
        "target": f"{policy.target:g}",
        "threshold_minutes": policy.threshold_minutes,
        "hours": policy.hours,
        "min_volume": str(policy.min_volume),
    }
    page = _template()
    for name, value in values.items():
        page = page.replace("{{ " + name + " }}", value)
    return page


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(policy: Policy) -> HTMLResponse:
    return HTMLResponse(render_page(policy))


@router.get(
    "/sla/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(request: Request, service: Service) -> StreamingResponse:
    """Every region's figures as server-sent events, sent when they change."""
    interval = service.core.settings.live_interval_seconds

    async def events() -> AsyncIterator[str]:
        last, quiet = "", 0.0
        while not await request.is_disconnected():
            snapshot = [r.model_dump(mode="json") for r in every_region(service.stream)]
            body = json.dumps(snapshot, default=str)
            if body != last or quiet >= 15:
                last, quiet = body, 0.0
                yield f"event: sla\ndata: {body}\n\n"
            await asyncio.sleep(interval)
            quiet += interval

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
