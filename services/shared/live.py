"""Server-sent events of a state that changes: the one loop behind every live view."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse

State = TypeVar("State")

# For a route's OpenAPI entry: what a stream answers with.
EVENT_STREAM: dict[int | str, dict[str, Any]] = {200: {"content": {"text/event-stream": {}}}}
# An unchanged state is sent again this often, so proxies keep the connection and a client
# that missed nothing still hears the stream is alive.
HEARTBEAT_SECONDS = 15.0


def live_stream(
    request: Request,
    event: str,
    read: Callable[[], Awaitable[State]],
    interval: float,
    *,
    changes: Callable[[State], object] = lambda state: state,
) -> StreamingResponse:
    """Reads the state every `interval` seconds while the client listens and sends it as an
    `event` when `changes(state)` differs from the last one sent, or at a heartbeat."""

    async def events() -> AsyncIterator[str]:
        last, quiet = "", 0.0
        while not await request.is_disconnected():
            state = await read()
            seen = json.dumps(changes(state), default=str)
            if seen != last or quiet >= HEARTBEAT_SECONDS:
                last, quiet = seen, 0.0
                yield f"event: {event}\ndata: {json.dumps(state, default=str)}\n\n"
            await asyncio.sleep(interval)
            quiet += interval

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
