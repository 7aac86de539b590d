"""The agent's handling of one record: decode, skip a re-send, count exactly once, decide,
publish. The Faust wiring (app, tables, agent) is in stream.py; the rules are pure (state.py,
decisions.py).

Two kinds of repeat reach the agent, and each is recognised where it can be recognised exactly:
- a **replay** of the same record (same partition and offset: a worker killed before it
  committed, replayed by whichever worker takes the partition over). Each table record keeps the
  input positions it has taken in (positions.py), so the replay changes only the records whose
  writes had not landed, and re-sends the alerts its first pass decided;
- a **re-send** (the same event at a new offset: an outbox relay or triage that published and
  crashed before it recorded so). The dedupe memory (seen.py) remembers each event id with the
  position that counted it, for a horizon (in the records' produce time) longer than any
  producer's outage.
"""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from opentelemetry.trace import StatusCode

from schemas import Classified, Region, SlaStatus
from schemas.codec import UndecodableEvent, decode_event
from schemas.envelope import Event
from services.reporting.decisions import decide_step
from services.reporting.positions import Position
from services.reporting.state import RegionMeta
from services.shared.kafka.decoding import decode_value
from services.shared.kafka.faults import Refused, describe
from services.shared.kafka.retry import Failure
from services.shared.tracing import tag_event

Send = Callable[[Event, Region], Awaitable[None]]
DeadLetter = Callable[[Any, str, int], Awaitable[None]]
Admit = Callable[[Event], Awaitable[None]]  # before counting: where faults are injected
DECISIONS_KEPT = 8  # alerts a replay can re-send: far more than a commit interval decides


class Seen(Protocol):
    """The memory of counted event ids: the position that counted each (seen.py)."""

    def first(self, event: Event) -> str | None: ...
    def remember(self, event: Event, at: Position, produced: float) -> None: ...


class Windows:
    """One record in: nothing is acknowledged silently. Poison is dead-lettered with the reason;
    a transient failure is retried here for as long as it lasts (the agent takes one record at a
    time, so its partitions wait in order, while Faust's fetcher keeps the worker in its group)."""

    def __init__(
        self, reporting: Any, seen: Seen, send: Send, dead_letter: DeadLetter, admit: Admit
    ):
        self.reporting, self.seen = reporting, seen
        self.send, self.dead_letter = send, dead_letter
        self.admit, self.retrying = admit, reporting.retrier

    async def handle(self, record: Any, span: Any) -> None:
        message = record.message
        try:
            # The type named in the record's header, if it has one: the value is not searched.
            event = decode_value(record.value, message.headers)
        except UndecodableEvent as exc:
            await self._give_up(record, Failure(str(exc), 1), span)
            return
        tag_event(span, event.EVENT_TYPE, getattr(event, "contact_id", None))
        at = Position.of(message.topic, message.partition, message.offset)
        produced = produced_at(record)
        counted = await self.retrying(lambda: self._take(event, at, produced), "sla-windows count")
        if isinstance(counted, Failure):
            await self._give_up(record, counted, span)
            return
        for item, region in counted:
            sent = await self.retrying(partial(self.send, item, region), "sla-windows publish")
            if isinstance(sent, Failure):
                await self._give_up(record, sent, span)
                return

    async def _take(
        self, event: Event, at: Position, produced: float
    ) -> list[tuple[Event, Region]]:
        """What to publish for `event` once it is counted (nothing for a re-send)."""
        await self.admit(event)
        region = getattr(event, "region", None)
        if not isinstance(region, Region) or isinstance(event, Classified):
            # The agent reads the classified topic for its RedirectedTo112s; a Classified
            # changes no window (the Queued that follows it counts), so its meta, decision and
            # capacity are not worked out and written again for nothing: one record in four
            # of an answered contact's, one in two of an emergency's.
            return []
        first = self.seen.first(event)
        if first is not None and first != str(at):
            return []  # re-sent by its producer: counted at its first delivery
        try:
            outgoing = self._count(event, region, at)
        except Exception as exc:  # pure rules: the same event fails the same way again
            raise Refused(f"cannot count it: {describe(exc)}") from exc
        if first is None:
            self.seen.remember(event, at, produced)
        return [(item, region) for item in outgoing]

    async def _give_up(self, record: Any, failure: Failure, span: Any) -> None:
        """Dead-letters the record (waiting out an outage), or stops the agent: never acks it."""
        span.set_status(StatusCode.ERROR, failure.reason)
        written = await self.retrying(
            partial(self.dead_letter, record, failure.reason, failure.attempts),
            "sla-windows dead letter",
        )
        if isinstance(written, Failure):
            raise RuntimeError(f"a record could not be dead-lettered: {written.reason}")

    def _count(self, event: Event, region: Region, at: Position) -> list[Event]:
        reporting = self.reporting
        state = reporting.region(region)
        replayed = at.taken_by(state.meta.taken)
        minute_before, operators_before = state.meta.latest, len(state.meta.operators)
        state.apply(event, at)  # on a replay: only into a bucket that lacks it
        if replayed:
            return decided_at(state.meta, at)
        outgoing, summary = decide_step(region, state, event, reporting.capacities, reporting.rules)
        keep_decisions(state.meta, at, outgoing)
        reporting.keep(state, region)
        # Other regions read this only to plan a reinforcement: refreshing it once per minute
        # of event time, and when staffing changes, spares a changelog write per event.
        moved = state.meta.latest != minute_before or len(state.meta.operators) != operators_before
        if moved or region.value not in reporting.capacity:
            reporting.capacity[region.value] = summary.to_dict()
        return list(outgoing)


def produced_at(record: Any) -> float:
    """When the record was produced (its Kafka timestamp), in seconds: Faust's messages carry
    it so; a record read again past Faust (refetch.py) says so itself."""
    produced = getattr(record, "produced_at", None)
    return float(produced if produced is not None else record.message.timestamp)


def keep_decisions(meta: RegionMeta, at: Position, outgoing: list[Event]) -> None:
    """Keeps what a replay of `at` must send again: every decision but the periodic status
    (the next step sends a newer one)."""
    alerts = [e.to_json().decode() for e in outgoing if not isinstance(e, SlaStatus)]
    if alerts:
        meta.decided = [*meta.decided, [str(at), alerts]][-DECISIONS_KEPT:]


def decided_at(meta: RegionMeta, at: Position) -> list[Event]:
    return [
        decode_event(alert.encode())
        for position, alerts in meta.decided
        if position == str(at)
        for alert in alerts
    ]
