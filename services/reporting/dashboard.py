"""The live dashboard: one page, fed by server-sent events of every region's figures.

The page's words about the target (its share, threshold and hours) are the service-level
policy's, filled in on the server: change PKC_SLA_TARGET and the page says the new target.

The page itself holds no figures and is public on purpose, so a person can open it to sign
in: it signs them in at the OIDC issuer (authorization code with PKCE, the public client named
by `dashboard_client_id`) and reads /sla and /sla/stream with their bearer token, as any other
client does, with the platform's shared page script (services/shared/pages/signin.js).
"""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from domain.service_level import ServiceLevelPolicy
from services.reporting.api import SlaReader, every_region
from services.reporting.service import Policy, Service
from services.shared import pages
from services.shared.live import EVENT_STREAM, live_stream
from services.shared.pages import SignIn

PAGE = Path(__file__).with_name("dashboard.html")
# The routes anyone may call, on purpose: the page's shell (no data in it; it must be
# reachable to sign in), where to sign in, the old address of the page, and the page script.
PUBLIC_ROUTES = (
    frozenset({("GET", "/"), ("GET", "/dashboard"), ("GET", "/dashboard/config")})
    | pages.PUBLIC_ROUTES
)
router = APIRouter(tags=["dashboard"])
router.include_router(pages.script_router())


def render_page(policy: ServiceLevelPolicy) -> str:
    values = {
        "target_percent": policy.target_percent,
        "target": f"{policy.target:g}",
        "threshold_minutes": policy.threshold_minutes,
        "hours": policy.hours,
        "min_volume": str(policy.min_volume),
    }
    return pages.render(PAGE, values)


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("dashboard")


@router.get("/dashboard", response_class=HTMLResponse)
async def page(policy: Policy) -> HTMLResponse:
    """The live dashboard's page (public: it signs the person in, then reads the figures)."""
    return HTMLResponse(render_page(policy))


@router.get("/dashboard/config")
async def sign_in(service: Service) -> SignIn:
    """Where the dashboard signs a person in (public: the page needs it before sign-in)."""
    settings = service.core.settings
    return SignIn(issuer=settings.oidc_issuer, client_id=settings.dashboard_client_id)


@router.get("/sla/stream", response_class=StreamingResponse, responses=EVENT_STREAM)
async def stream(request: Request, service: Service, who: SlaReader) -> StreamingResponse:
    """Every region's figures as server-sent events, sent when they change (one reader for
    every listener; at most `live_max_streams_per_person` per person, 429 beyond)."""

    async def figures() -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in every_region(service.stream)]

    settings = service.core.settings
    return live_stream(
        request, who, settings, "sla", "all", figures, settings.live_interval_seconds
    )
