"""The live dashboard: one page, fed by server-sent events of every region's figures."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

PAGE = Path(__file__).with_name("dashboard.html")


def dashboard_router(snapshot: Callable[[], list[dict[str, object]]], interval: float) -> APIRouter:
    router = APIRouter(tags=["dashboard"])

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    @router.get(
        "/sla/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def stream(request: Request) -> StreamingResponse:
        """Every region's figures as server-sent events, sent when they change."""

        async def events() -> AsyncIterator[str]:
            last, quiet = "", 0.0
            while not await request.is_disconnected():
                body = json.dumps(snapshot(), default=str)
                if body != last or quiet >= 15:
                    last, quiet = body, 0.0
                    yield f"event: sla\ndata: {body}\n\n"
                await asyncio.sleep(interval)
                quiet += interval

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    return router
