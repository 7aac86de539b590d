"""The signed link in every alert: `GET /ack?token=…` opens a page and changes nothing (a mail
client's link scanner opens every link it sees); the page's form POSTs the same token to
`/ack`, which acknowledges as the recipient the link names. Public on purpose (api.py's
PUBLIC_ROUTES): the signed, expiring token is the credential; once the alert is acknowledged
it acknowledges nothing more."""

import asyncio
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from schemas import Region
from services.notify import ack_page as pages
from services.notify.ack import AckClaim, BadToken, verify_ack
from services.notify.acknowledgement import Acknowledger, AlertNotFound
from services.notify.api import NotifyService, acknowledge_as
from services.notify.bootstrap import Notify

link_router = APIRouter(tags=["alerts"])
Token = Annotated[str, Query(min_length=1, max_length=512)]
_PAGES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "the page"},
    403: {"content": {"text/html": {}}, "description": "forged or expired link"},
    404: {"content": {"text/html": {}}, "description": "no such alert"},
}
_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {"token": {"type": "string", "maxLength": 512}},
                    "required": ["token"],
                }
            }
        },
    }
}


def _claim(notify: Notify, token: str) -> AckClaim:
    return verify_ack(notify.settings.ack_secret.get_secret_value(), token, notify.clock.now())


@link_router.get("/ack", response_class=HTMLResponse, responses=_PAGES)
async def confirmation_page(token: Token, notify: NotifyService) -> HTMLResponse:
    """The confirmation page of an alert's link: its region and kind, and a button."""
    try:
        claim = _claim(notify, token)
    except BadToken as refusal:
        return pages.refused(str(refusal))
    alert = await asyncio.to_thread(notify.store.alert, claim.alert_id)
    if alert is None:
        return pages.gone()
    region = Region(alert.region)
    if alert.acknowledged_at is not None:
        return pages.acknowledged(region, alert.kind, already=True)
    return pages.confirm(region, alert.kind, token)


@link_router.post("/ack", response_class=HTMLResponse, responses=_PAGES, openapi_extra=_FORM)
async def ack_by_link(request: Request, notify: NotifyService) -> HTMLResponse:
    """The page's form: acknowledges as the recipient the link names, once."""
    try:
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=4)
    except ValueError:  # more fields than the page's form has: not the page's form
        form = {}
    token = (form.get("token") or [""])[0]
    try:
        claim = _claim(notify, token[:512])
    except BadToken as refusal:
        return pages.refused(str(refusal))
    try:
        event = await acknowledge_as(notify, claim.alert_id, Acknowledger.by_link(claim.recipient))
    except AlertNotFound:
        return pages.gone()
    alert = await asyncio.to_thread(notify.store.alert, claim.alert_id)
    assert alert is not None  # alerts are never deleted
    return pages.acknowledged(Region(alert.region), alert.kind, already=event is None)
