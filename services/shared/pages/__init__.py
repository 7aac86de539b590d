"""What every page of the platform shares: the sign-in and event-stream script (signin.js,
one copy for the dashboard, the operator desk and the supervisor board), the answer of a
page's sign-in config route, and filling a page's template.

A page is a public shell with no data in it: it must be reachable before anyone has a token.
It signs the person in at the OIDC issuer (authorization code with PKCE, a public client) and
then calls the service's guarded routes with their bearer token, as any other client does.
"""

import functools
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

SCRIPT = Path(__file__).with_name("signin.js")
SCRIPT_PATH = "/pages/signin.js"
# The script is public like the page shells that load it (no data in it); left out of the
# OpenAPI, as it is no API.
PUBLIC_ROUTES = frozenset({("GET", SCRIPT_PATH)})


class SignIn(BaseModel):
    """Where a page signs a person in: the OIDC issuer and its public client for the page."""

    issuer: str | None
    client_id: str


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def render(template: Path, values: dict[str, str]) -> str:
    """The page at `template` with each `{{ name }}` replaced by its value (values are the
    server's own settings and labels, never a caller's input)."""
    page = _read(template)
    for name, value in values.items():
        page = page.replace("{{ " + name + " }}", value)
    return page


def script_router() -> APIRouter:
    """Serves signin.js at SCRIPT_PATH, for a service that has a page to include."""
    router = APIRouter()

    @router.get(SCRIPT_PATH, include_in_schema=False)
    async def script() -> Response:
        return Response(
            _read(SCRIPT),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache"},  # a new release's script at the next load
        )

    return router
