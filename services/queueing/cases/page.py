"""The citizen's page (/case): enter the case number and secret, see the case's status and
history, add information. A public shell with no data in it; its script calls the citizen's
routes (routes.py) with the secret in a header, from this page's own origin. No sign-in."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from services.shared import pages

PAGE = Path(__file__).with_name("case.html")
SCRIPT = Path(__file__).with_name("case.js")
PUBLIC_ROUTES = frozenset({("GET", "/case"), ("GET", "/case.js")})
router = APIRouter(tags=["citizens"])


@router.get("/case", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    """The citizen's page for following a case (public: the secret is asked for on it)."""
    return HTMLResponse(pages.render(PAGE, {}), headers={"Cache-Control": "no-cache"})


@router.get("/case.js", include_in_schema=False)
async def script() -> Response:
    return Response(
        pages.render(SCRIPT, {}),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )
