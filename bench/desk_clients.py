"""The bench's operator desks: HTTP clients of the stream the desk page reads with fetch()
(`GET /operators/me/offers/stream`, server-sent events `desk`), each working its offers as a
person at the page does, and a reader of queueing's `Queued` events; what they saw in `Seen`."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer

from bench.records import read_from_now
from pkc.simulation import Credential, TokenSource
from schemas.topics import QUEUE_EVENTS


@dataclass
class Seen:
    """What the bench saw: when each contact was queued and first on a desk, and where."""

    queued: dict[uuid.UUID, float] = field(default_factory=dict)  # epoch seconds
    on_desk: dict[uuid.UUID, float] = field(default_factory=dict)  # epoch seconds, first sight
    desks: dict[uuid.UUID, set[str]] = field(default_factory=dict)  # who was offered it
    handled: set[uuid.UUID] = field(default_factory=set)  # outcome recorded
    ready: set[str] = field(default_factory=set)  # desks that have said "ready" once
    listening: bool = False  # the Queued reader is at the topic's end
    failures: list[BaseException] = field(default_factory=list)  # a desk's action refused

    def offered(self, contact_id: uuid.UUID, desk: str, at: float) -> bool:
        """Records an offer shown on `desk`; True the first time this desk shows it."""
        self.on_desk.setdefault(contact_id, at)
        offered_to = self.desks.setdefault(contact_id, set())
        new = desk not in offered_to
        offered_to.add(desk)
        return new

    def doubled(self) -> int:
        # No desk rejects and no offer times out, so one contact on two desks, at any two
        # moments, is a contact reserved for two operators.
        return sum(1 for desks in self.desks.values() if len(desks) > 1)

    def latencies(self) -> list[float]:
        return [self.on_desk[c] - at for c, at in self.queued.items() if c in self.on_desk]


async def failed_or(desks: list[asyncio.Task[None]], seen: Seen, condition: bool) -> bool:
    """The condition, unless a desk has failed (then its error, rather than a time-out)."""
    if seen.failures:
        raise seen.failures[0]
    for desk in desks:
        if desk.done():
            desk.result()
            raise RuntimeError("a desk's stream ended")
    return condition


async def desk(
    http: aiohttp.ClientSession, tokens: TokenSource, person: Credential, seen: Seen
) -> None:
    """One operator at the desk page: signs in ready, reads the offer stream, works each offer."""

    async def call(path: str, body: object = None) -> None:
        headers = await tokens.headers(person)
        async with http.post(path, json=body or {}, headers=headers) as answer:
            if answer.status != 200:
                raise RuntimeError(f"{person.name}: POST {path} answered {answer.status}")

    async def work(contact_id: uuid.UUID) -> None:
        await call(f"/contacts/{contact_id}/accept")
        await call(f"/contacts/{contact_id}/answer")
        await call(f"/contacts/{contact_id}/outcome", {"outcome": "information_given"})
        seen.handled.add(contact_id)  # no wrap-up time: the desk's next message says ready

    await call("/operators/login", {"takeover": True})
    working: set[asyncio.Task[None]] = set()
    stream = "/operators/me/offers/stream"
    headers = await tokens.headers(person)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    async with http.get(stream, headers=headers, timeout=timeout) as answer:
        if answer.status != 200:
            raise RuntimeError(f"{person.name}: GET {stream} answered {answer.status}")
        async for message in _desk_events(answer):
            at = time.time()  # parsed: the moment the page would have it to show
            offer = message.get("offer")
            status = (message.get("operator") or {}).get("status")
            if status == "ready":
                seen.ready.add(person.name)
            if offer and seen.offered(uuid.UUID(offer["contact_id"]), person.name, at):
                task = asyncio.create_task(work(uuid.UUID(offer["contact_id"])))
                working.add(task)
                task.add_done_callback(_settled(working, seen))


def _settled(working: set[asyncio.Task[None]], seen: Seen) -> Callable[[asyncio.Task[None]], None]:
    def settle(task: asyncio.Task[None]) -> None:
        working.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            seen.failures.append(error)

    return settle


async def _desk_events(answer: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """Each `desk` event's data, parsed, as the page's reader does (services/queueing/desk.js)."""
    event = ""
    async for raw in answer.content:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event == "desk":
            yield json.loads(line[5:])
        elif not line:
            event = ""


async def read_queued(bootstrap: str, seen: Seen) -> None:
    """Queueing's `Queued` events: each contact's enqueue time (`occurred_at`)."""
    consumer = AIOKafkaConsumer(QUEUE_EVENTS.name, bootstrap_servers=bootstrap)  # no group
    await consumer.start()
    try:
        await read_from_now(consumer)
        seen.listening = True
        while True:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    event = json.loads(record.value)
                    if event.get("event_type") == "Queued":
                        at = datetime.fromisoformat(event["occurred_at"]).timestamp()
                        seen.queued[uuid.UUID(event["contact_id"])] = at
    finally:
        await consumer.stop()
