"""With tracing off (a service's default), a record handled still passes its trace on: what a
service sends while handling it carries the same trace, so a trace stays whole across a service
that records no spans of its own (tests/e2e/test_tracing.py covers tracing on)."""

import uuid

import pytest
from opentelemetry import baggage, context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.shared.tracing import (
    consumer_span,
    inject_headers,
    record_attributes,
    server_span,
    tag_event,
)

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = f"00-{TRACE}-b7ad6b7169203331-01"


def _trace_sent() -> str | None:
    """The trace id a record sent now would carry, if any."""
    sent = dict(inject_headers([])).get("traceparent")
    return sent.decode().split("-")[1] if sent else None


def test_a_record_sent_while_handling_one_carries_its_trace() -> None:
    with consumer_span("pkc.contacts process", [("traceparent", PARENT.encode())], {}):
        assert _trace_sent() == TRACE
    assert _trace_sent() is None  # and the handled record's trace ends with its handling


def test_a_request_s_trace_reaches_what_it_sends() -> None:
    with server_span("HTTP POST", {"traceparent": PARENT}):
        assert _trace_sent() == TRACE
    assert _trace_sent() is None


def test_a_failing_handler_s_error_comes_through_and_its_trace_ends() -> None:
    headers, attributes = [("traceparent", PARENT.encode())], record_attributes("t", 0, 7)
    with (
        pytest.raises(ValueError, match="bad record"),
        consumer_span("pkc.contacts process", headers, attributes),
    ):
        raise ValueError("bad record")
    assert _trace_sent() is None


def test_a_record_without_trace_context_starts_none() -> None:
    with consumer_span("pkc.contacts process", None, {}):
        assert _trace_sent() is None
    # Kafka allows a header without a value: it carries no context, and stops nothing.
    with consumer_span("pkc.contacts process", [("traceparent", None), ("baggage", None)], {}):
        assert _trace_sent() is None


def test_baggage_without_a_span_is_passed_on() -> None:
    token = context.attach(baggage.set_baggage("pkc.channel", "phone"))
    try:
        assert dict(inject_headers([])).get("baggage") == b"pkc.channel=phone"
    finally:
        context.detach(token)


def test_a_recorded_span_names_the_event_and_its_contact() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    contact = uuid.uuid4()
    with provider.get_tracer("test").start_as_current_span("pkc.contacts process") as span:
        tag_event(span, "Answered", contact)
    with provider.get_tracer("test").start_as_current_span("pkc.contacts process") as span:
        tag_event(span, "OperatorPresenceChanged", None)
    first, second = (dict(s.attributes or {}) for s in exporter.get_finished_spans())
    assert first == {"pkc.event_type": "Answered", "pkc.contact_id": str(contact)}
    assert second == {"pkc.event_type": "OperatorPresenceChanged"}


class _Unwritable:
    def __str__(self) -> str:
        raise AssertionError("a span that is not recorded had its contact id written")


def test_a_span_that_is_not_recorded_costs_no_writing() -> None:
    with consumer_span("pkc.contacts process", [("traceparent", PARENT.encode())], {}) as span:
        assert not span.is_recording()  # tracing off: the caller's span, passed on
        tag_event(span, "Answered", _Unwritable())
