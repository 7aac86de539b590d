"""The event codec in process: CPU µs to encode (Event.to_json, orjson) and decode (decode_event,
straight into the named model) one event of a contact's way through the centre, beside what
pydantic alone costs (model_dump_json; json.loads + model_validate, the codec before issue 20);
and the span each consumed record is handled in, with tracing off as services run by default
(services/shared/tracing.py: 29-31 µs at 84d4074, 16-19 µs after c12cd48)."""

import json
import statistics
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.events import answered_call, theft_report
from bench.results import Figure, Report
from schemas import Channel, ContactReceived, ContactResolved, NeedCategory, Queued, Region
from schemas.codec import EVENT_TYPES, decode_event
from schemas.enums import QueueName
from schemas.envelope import Event
from services.shared.tracing import consumer_span, inject_headers, record_attributes

CALLS = 2_000  # per timing; the median of REPEATS timings is taken
REPEATS = 7


def contact_events() -> list[Event]:
    """One phone contact's events, as the pipeline publishes them."""
    at = datetime.now(UTC)
    classified = theft_report(Region.STOCKHOLM, at, 2.0, matched=("stulen", "cykel"))
    contact = classified.contact_id
    return [
        ContactReceived(
            occurred_at=at - timedelta(seconds=2),
            contact_id=contact,
            region=Region.STOCKHOLM,
            channel=Channel.PHONE,
            source="phone-gw",
            text="Min cykel blev stulen i förra veckan utanför jobbet och jag vill anmäla det",
            accepted_at=at - timedelta(seconds=1),
        ),
        classified,
        Queued(
            occurred_at=at,
            contact_id=contact,
            region=Region.STOCKHOLM,
            queue=next(iter(QueueName)),
            channel=Channel.PHONE,
            category=NeedCategory.CASE_HELP,
            priority=3,
            received_at=at - timedelta(seconds=2),
        ),
        answered_call(Region.STOCKHOLM, at + timedelta(seconds=42), 44.0),
        ContactResolved(
            occurred_at=at + timedelta(seconds=300),
            contact_id=contact,
            region=Region.STOCKHOLM,
            operator_id="bench",
            outcome="report_filed",
            handling_seconds=258.0,
        ),
    ]


def _us_per_event(work: Callable[[Event, bytes], object], events: list[Event]) -> float:
    wires = [(event, event.to_json()) for event in events]

    def once() -> None:
        for event, wire in wires:
            work(event, wire)

    # CPU time of this process: wall time on a loaded machine counts the other processes' turns.
    timings = timeit.repeat(once, number=CALLS, repeat=REPEATS, timer=time.process_time)
    return statistics.median(timings) / (CALLS * len(wires)) * 1e6


# A record arriving with its trace context, as every record from a traced caller does.
_TRACED = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]


def _in_a_span(_: Event, wire: bytes) -> None:
    """What a consumer adds around handling a record: its attributes, its span from the
    record's trace context, and that context on what the handler sends."""
    attributes = record_attributes("pkc.contacts.received", 0, 1)
    with consumer_span("pkc.contacts.received process", _TRACED, attributes):
        inject_headers([])


def _pydantic_only(_: Event, wire: bytes) -> Event:
    data = json.loads(wire)
    return EVENT_TYPES[data["event_type"]].model_validate(data)


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    events = contact_events()
    encode = _us_per_event(lambda event, _: event.to_json(), events)
    encode_pydantic = _us_per_event(lambda event, _: event.model_dump_json().encode(), events)
    decode = _us_per_event(lambda _, wire: decode_event(wire), events)
    header = _us_per_event(lambda event, wire: decode_event(wire, event.EVENT_TYPE), events)
    decode_pydantic = _us_per_event(_pydantic_only, events)
    kinds = f"{len(events)} events of one contact, median of {REPEATS}"
    report.add(
        Figure(
            "codec",
            "encode one event (to_json)",
            encode,
            "µs",
            note=f"{kinds}; pydantic's model_dump_json {encode_pydantic:.1f} µs",
        )
    )
    report.add(
        Figure(
            "codec",
            "decode one event (decode_event)",
            decode,
            "µs",
            note=f"{kinds}; told the type by a header {header:.1f} µs; "
            f"json.loads + model_validate {decode_pydantic:.1f} µs",
        )
    )
    span = _us_per_event(_in_a_span, events)
    report.add(
        Figure(
            "codec",
            "a consumed record's span, tracing off",
            span,
            "µs",
            note="its trace context extracted, attached and injected into what it sends",
        )
    )
