"""The live dashboard: one page, fed by server-sent events of every region's figures.

The page's words about the target (its share, threshold and hours) are the service-level
policy's, filled in on the server: change PKC_SLA_TARGET and the page says the new target.
"""

import functools
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from domain.service_level import ServiceLevelPolicy
from services.reporting.api import every_region
from services.reporting.service import Policy, Service
from services.shared.live import EVENT_STREAM, live_stream

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


@router.get("/sla/stream", response_class=StreamingResponse, responses=EVENT_STREAM)
async def stream(request: Request, service: Service) -> StreamingResponse:
    """Every region's figures as server-sent events, sent when they change."""

    async def figures() -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in every_region(service.stream)]

    return live_stream(request, "sla", figures, service.core.settings.live_interval_seconds)
