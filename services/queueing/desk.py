"""The operator desk: one page (/desk) an operator works from, fed by their offer stream.

The page is a public shell with no data in it, so a person can open it to sign in: it signs
them in at the OIDC issuer with the platform's shared page script (services/shared/pages) and
then calls queueing's operator routes with their own bearer token, as any other client does:
`/operators/login|me/...` for presence, `/operators/me/offers/stream` for the pushed offers
and the contact they hold, `/contacts/{id}/accept|reject|answer|outcome` for the actions, and
`/cases/{case}/secret|record|notes|close` for the case panel (desk_case.js: the case an
outcome opened, its secret to tell the citizen, its record, a note, the closing; see
docs/cases.md).
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from schemas.cases import CLOSE_REASONS
from services.queueing.dependencies import Core
from services.queueing.domain import Outcome
from services.queueing.presence import CHOSEN_REASONS
from services.shared import pages
from services.shared.pages import SignIn

PAGE = Path(__file__).with_name("desk.html")
SCRIPT = Path(__file__).with_name("desk.js")
CASE_SCRIPT = Path(__file__).with_name("desk_case.js")
# Public on purpose: the page's shell and where to sign in (no data in either), and the
# shared page script it loads.
PUBLIC_ROUTES = (
    frozenset(
        {("GET", "/desk"), ("GET", "/desk/config"), ("GET", "/desk.js"), ("GET", "/desk_case.js")}
    )
    | pages.PUBLIC_ROUTES
)
router = APIRouter(tags=["desk"])
router.include_router(pages.script_router())


class DeskConfig(SignIn):
    """Where the desk signs a person in, and the terms its countdowns and links follow."""

    offer_timeout_seconds: float
    wrap_up_seconds: float
    clock_speed: float = Field(description="platform seconds per real second (the countdowns)")
    e_service_base_url: str
    outcomes: list[str]
    pause_reasons: list[str]
    close_reasons: list[str] = Field(description="why a case may be closed (the case panel)")


@router.get("/desk", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    """The operator desk's page (public: it signs the person in, then reads their desk)."""
    return HTMLResponse(pages.render(PAGE, {}))


@router.get("/desk.js", include_in_schema=False)
async def script() -> Response:
    """The desk's own script (the shared sign-in script is /pages/signin.js)."""
    return _script(SCRIPT)


@router.get("/desk_case.js", include_in_schema=False)
async def case_script() -> Response:
    """The desk's case panel, a module desk.js imports."""
    return _script(CASE_SCRIPT)


def _script(path: Path) -> Response:
    return Response(
        pages.render(path, {}),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/desk/config")
async def config(core: Core) -> DeskConfig:
    """Where the desk signs a person in (public: the page needs it before sign-in)."""
    settings = core.settings
    return DeskConfig(
        issuer=settings.oidc_issuer,
        client_id=settings.desk_client_id,
        offer_timeout_seconds=settings.offer_timeout_seconds,
        wrap_up_seconds=settings.wrap_up_seconds,
        clock_speed=settings.clock_speed,
        e_service_base_url=settings.e_service_base_url,
        outcomes=[o.value for o in Outcome],
        pause_reasons=[r.value for r in CHOSEN_REASONS],
        close_reasons=list(CLOSE_REASONS),
    )
