"""OpenTelemetry set-up and W3C trace context in Kafka headers."""

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import context, propagate, trace
from opentelemetry.propagators.textmap import Getter, Setter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

Headers = list[tuple[str, bytes]]

# The platform's one tracer: a proxy that follows the provider setup_tracing installs, looked up
# once (trace.get_tracer per span built a proxy and read the environment each time).
_TRACER = trace.get_tracer("pkc")


class _Recording:
    """Whether this process records spans: only once setup_tracing installed a provider. Until
    then a span would be its parent's context passed on and nothing else, so the helpers below
    attach that context and skip the span: a consumer span with tracing off (the default)
    costs 12 µs of CPU instead of 22, and each service opens one per record it consumes."""

    on = False


def setup_tracing(
    service: str, exporter: str, otlp_endpoint: str | None = None
) -> TracerProvider | None:
    """Installs the global tracer provider once per process; console spans go to stderr."""
    if exporter == "none":
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": f"pkc-{service}"}))
    span_exporter: SpanExporter
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = (otlp_endpoint or "http://127.0.0.1:4318").rstrip("/") + "/v1/traces"
        span_exporter = OTLPSpanExporter(endpoint=endpoint)
    else:
        span_exporter = ConsoleSpanExporter(
            out=sys.stderr, formatter=lambda span: span.to_json(indent=None) + "\n"
        )
    provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    _Recording.on = True
    return provider


class _HeaderSetter(Setter[Headers]):
    def set(self, carrier: Headers, key: str, value: str) -> None:
        carrier.append((key, value.encode()))


class _HeaderGetter(Getter[Sequence[tuple[str, bytes | None]]]):
    def get(self, carrier: Sequence[tuple[str, bytes | None]], key: str) -> list[str] | None:
        # A header may have no value (Kafka allows one): it carries no context.
        found = [v.decode(errors="replace") for k, v in carrier if k == key and v is not None]
        return found or None

    def keys(self, carrier: Sequence[tuple[str, bytes | None]]) -> list[str]:
        return [k for k, _ in carrier]


def inject_headers(headers: Headers) -> Headers:
    # An empty context (no span, no baggage: a tool's producer, or a record that came
    # without a trace) gives every propagator nothing to write; asking them costs 1 µs.
    if context.get_current():
        propagate.inject(headers, setter=_HeaderSetter())
    return headers


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, to store beside state written now."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def resumed(traceparent: str | None) -> Iterator[None]:
    """Runs the block in the trace a stored traceparent names (an outbox relay, a later
    answer to a queued contact), so work done later joins the contact's trace."""
    if not traceparent:
        yield
        return
    token = context.attach(propagate.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def server_span(name: str, headers: dict[str, str]) -> Iterator[trace.Span]:
    """A SERVER span for an HTTP request, continuing the caller's trace if it sent one."""
    with _span(name, trace.SpanKind.SERVER, propagate.extract(headers)) as span:
        yield span


def record_attributes(topic: str, partition: int, offset: int) -> dict[str, str | int]:
    """The OpenTelemetry messaging attributes of one consumed Kafka record."""
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.kafka.partition": partition,
        "messaging.kafka.offset": offset,
    }


def tag_event(span: trace.Span, event_type: str, contact_id: object | None) -> None:
    """Names on `span` the event it handles and the contact that is about (a random id, never
    personal data). Nothing is written for a span that is not recorded, as every span is with
    tracing off: the contact id's text alone cost the Faust agent 2 % of its time."""
    if not span.is_recording():
        return
    span.set_attribute("pkc.event_type", event_type)
    if contact_id is not None:
        span.set_attribute("pkc.contact_id", str(contact_id))


@contextmanager
def consumer_span(
    name: str,
    headers: Sequence[tuple[str, bytes | None]] | None,
    attributes: dict[str, str | int],
) -> Iterator[trace.Span]:
    """A CONSUMER span whose parent is the trace context that came with the record."""
    parent = propagate.extract(headers or [], getter=_HeaderGetter())
    with _span(name, trace.SpanKind.CONSUMER, parent, attributes) as span:
        yield span


@contextmanager
def _span(
    name: str,
    kind: trace.SpanKind,
    parent: context.Context,
    attributes: dict[str, str | int] | None = None,
) -> Iterator[trace.Span]:
    """A span of `kind` under `parent`, current for the block; with tracing off, the parent's
    span, so records produced in the block still carry the caller's trace context."""
    token = context.attach(parent)
    try:
        if not _Recording.on:
            yield trace.get_current_span()
            return
        with _TRACER.start_as_current_span(name, kind=kind, attributes=attributes) as span:
            yield span
    finally:
        context.detach(token)
