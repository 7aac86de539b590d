"""Server-sent events of a state that changes, fed by one in-process fan-out.

One reader per (stream kind, key) reads the state every interval while at least one client
listens, and puts each change (and a heartbeat) on every listener's bounded queue: a hundred
open dashboards cost one read per interval, not a hundred. A listener whose queue is full is
dropped (its stream ends, a browser reconnects) rather than holding the others back. The reader
stops when the last listener leaves.

Streams are capped per person and in total per process (`live_max_streams_per_person`,
`live_max_streams`): beyond either, the caller gets 429 with the reason and Retry-After.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from services.shared.identity import Principal
from services.shared.settings import ServiceSettings

log = logging.getLogger(__name__)

# For a route's OpenAPI entry: what a stream answers with (and that it may be refused).
EVENT_STREAM: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}},
    429: {"description": "too many live streams open (for this person, or on this server)"},
}
# An unchanged state is sent again this often, so proxies keep the connection and a client
# that missed nothing still hears the stream is alive.
HEARTBEAT_SECONDS = 15.0
QUEUE_SIZE = 16  # messages a listener may fall behind before it is dropped
RETRY_AFTER_SECONDS = 30  # a slot frees when some stream closes: no exact time to promise

Read = Callable[[], Awaitable[Any]]
Changes = Callable[[Any], object]
_END = None  # put on a listener's queue: the stream is over


class TooManyStreams(Exception):
    """A cap on open streams is reached; the message says which, for the caller."""


@dataclass(eq=False)
class Subscription:
    """One listener of a feed: its bounded queue of messages, closed once."""

    hub: "LiveHub"
    feed_key: tuple[str, str]
    subject: str
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    closed: bool = False

    async def next(self) -> str | None:
        """The next message, or None once the stream is over (closed or dropped)."""
        return await self.queue.get()

    def close(self) -> None:
        """Leaves the feed and frees the caller's slot (idempotent)."""
        if not self.closed:
            self.closed = True
            self.hub.leave(self)

    def end(self) -> None:
        """Ends the stream from the feed's side: what is queued is dropped for the end mark."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_END)


@dataclass(eq=False)
class _Feed:
    key: tuple[str, str]  # (kind, key): the kind is the event's name
    read: Read
    interval: float
    changes: Changes
    listeners: set[Subscription] = field(default_factory=set)
    latest: str | None = None  # the last message sent, for a listener who joins later
    reader: "asyncio.Task[None] | None" = None


class LiveHub:
    """The process's live streams: one feed per (kind, key), caps per person and in total."""

    def __init__(self, max_per_person: int, max_total: int):
        self.max_per_person = max_per_person
        self.max_total = max_total
        self.feeds: dict[tuple[str, str], _Feed] = {}
        self.open_by_person: dict[str, int] = {}

    @property
    def open_streams(self) -> int:
        return sum(self.open_by_person.values())

    def subscribe(
        self,
        subject: str,
        kind: str,
        key: str,
        read: Read,
        interval: float,
        changes: Changes = lambda state: state,
    ) -> Subscription:
        """Joins the feed of (kind, key), starting its reader if it is the first listener.
        Raises TooManyStreams when the person or the process is at its cap."""
        self._admit(subject)
        feed = self.feeds.get((kind, key))
        if feed is None:
            feed = self.feeds[(kind, key)] = _Feed((kind, key), read, interval, changes)
        subscription = Subscription(self, (kind, key), subject)
        feed.listeners.add(subscription)
        self.open_by_person[subject] = self.open_by_person.get(subject, 0) + 1
        if feed.latest is not None:
            subscription.queue.put_nowait(feed.latest)
        if feed.reader is None:
            feed.reader = asyncio.create_task(self._read(feed), name=f"live {kind} {key}")
        return subscription

    def _admit(self, subject: str) -> None:
        if self.open_by_person.get(subject, 0) >= self.max_per_person:
            raise TooManyStreams(
                f"you already have {self.max_per_person} live streams open, the most one "
                "person may have: close one and try again"
            )
        if self.open_streams >= self.max_total:
            raise TooManyStreams(
                f"this server already serves its maximum of {self.max_total} live streams: "
                "try again shortly"
            )

    def leave(self, subscription: Subscription) -> None:
        feed = self.feeds.get(subscription.feed_key)
        if feed is None or subscription not in feed.listeners:
            return
        feed.listeners.discard(subscription)
        remaining = self.open_by_person[subscription.subject] - 1
        if remaining:
            self.open_by_person[subscription.subject] = remaining
        else:
            del self.open_by_person[subscription.subject]
        if not feed.listeners:
            self._stop(feed)

    def _stop(self, feed: _Feed) -> None:
        if self.feeds.get(feed.key) is feed:
            del self.feeds[feed.key]
        if feed.reader is not None and feed.reader is not asyncio.current_task():
            feed.reader.cancel()

    async def _read(self, feed: _Feed) -> None:
        """The feed's one reader: reads every interval while anyone listens."""
        event, last, quiet = feed.key[0], "", 0.0
        try:
            while feed.listeners:
                state = await feed.read()
                seen = json.dumps(feed.changes(state), default=str)
                if seen != last or quiet >= HEARTBEAT_SECONDS:
                    last, quiet = seen, 0.0
                    feed.latest = f"event: {event}\ndata: {json.dumps(state, default=str)}\n\n"
                    self._fan_out(feed, feed.latest)
                await asyncio.sleep(feed.interval)
                quiet += feed.interval
        except Exception as error:
            # The state cannot be read (a database away): every stream of this feed ends, and
            # the clients' reconnects start a fresh reader. Only the error's type is logged: its
            # text may quote the data read.
            log.error("live feed %s stopped, state unreadable: %s", event, type(error).__name__)
            for listener in list(feed.listeners):
                listener.end()
                self.leave(listener)

    def _fan_out(self, feed: _Feed, message: str) -> None:
        for listener in list(feed.listeners):
            try:
                listener.queue.put_nowait(message)
            except asyncio.QueueFull:
                # Too slow to keep up: dropped, so it cannot hold back the others.
                log.info("live feed %s dropped a listener that fell behind", feed.key[0])
                listener.end()
                listener.close()


def hub_of(app: FastAPI, settings: ServiceSettings) -> LiveHub:
    """The app's one hub (one app per process), made on the first stream opened."""
    hub: LiveHub | None = getattr(app.state, "live_hub", None)
    if hub is None:
        hub = LiveHub(settings.live_max_streams_per_person, settings.live_max_streams)
        app.state.live_hub = hub
    return hub


class _LiveResponse(StreamingResponse):
    """Frees the stream's slot however the response ends: finished, cancelled on the client's
    disconnect (Starlette listens for it), or failed before the first byte."""

    def __init__(self, subscription: Subscription):
        self.subscription = subscription
        super().__init__(
            _messages(subscription),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.subscription.close()


async def _messages(subscription: Subscription) -> Any:
    try:
        while (message := await subscription.next()) is not None:
            yield message
    finally:
        subscription.close()


def live_stream(
    request: Request,
    who: Principal,
    settings: ServiceSettings,
    event: str,
    key: str,
    read: Read,
    interval: float,
    *,
    changes: Changes = lambda state: state,
) -> StreamingResponse:
    """`who`'s stream of the `event` feed for `key`: the state `read` every `interval` seconds
    (by one reader for all its listeners), sent when `changes(state)` differs from the last
    one sent, or at a heartbeat. 429 beyond the caps in `settings`."""
    hub = hub_of(request.app, settings)
    try:
        subscription = hub.subscribe(who.subject, event, key, read, interval, changes)
    except TooManyStreams as refusal:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            str(refusal),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    return _LiveResponse(subscription)
