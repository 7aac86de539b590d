"""One trace per contact: intake -> triage -> queueing -> reporting across processes and Kafka.

Each service process exports its spans as JSON lines into its log (the console exporter); the
test follows one contact's spans through all of them by trace id and parent links.
"""

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pkc.polling import poll
from tests.e2e.conftest import Platform
from tests.e2e.test_skeleton_flow import log_in, post_contact, take_when_queued

pytestmark = pytest.mark.kafka


def spans_of(platform: Platform) -> list[dict[str, Any]]:
    spans = []
    for name, service in platform.services.items():
        for line in service.log_file.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"trace_id"' in line:
                span = json.loads(line)
                span["service"] = name
                spans.append(span)
    return spans


def contact_spans(platform: Platform, contact_id: str, expect: set[str]) -> list[dict[str, Any]]:
    def every_span() -> list[dict[str, Any]] | None:
        found = [
            s
            for s in spans_of(platform)
            if s.get("attributes", {}).get("pkc.contact_id") == contact_id
        ]
        kinds = {f"{s['service']}:{s['attributes'].get('pkc.event_type', 'http')}" for s in found}
        return found if kinds >= expect else None

    return poll(every_span, f"the contact's spans {sorted(expect)}", interval=0.3)


def test_a_contacts_path_through_every_service_is_one_trace(platform: Platform) -> None:
    operator = log_in(platform, "op-trace", "syd")
    contact = post_contact(
        platform, "trace-1", "syd", "Min cykel blev stulen i förra veckan", timedelta(minutes=2)
    )
    taken = take_when_queued(platform, operator)
    assert taken["contact_id"] == contact
    httpx.post(f"{platform.url('queueing')}/contacts/{contact}/answer", headers=operator)

    spans = contact_spans(
        platform,
        contact,
        {
            "intake:http",
            "triage:ContactReceived",
            "queueing:Classified",
            "reporting:Queued",
            "reporting:Answered",
        },
    )
    by_id = {s["context"]["span_id"]: s for s in spans}
    assert len({s["context"]["trace_id"] for s in spans}) == 1, "one trace"

    def parent_service(span: dict[str, Any]) -> str | None:
        parent = by_id.get(span.get("parent_id") or "")
        return f"{parent['service']}" if parent else None

    def one(service: str, kind: str) -> dict[str, Any]:
        return next(
            s
            for s in spans
            if s["service"] == service and s["attributes"].get("pkc.event_type", "http") == kind
        )

    assert one("intake", "http")["parent_id"] is None, "the contact's trace starts at intake"
    # Named by the route's template (POST /contacts is answered by intake's HotRoute).
    assert one("intake", "http")["name"] == "HTTP POST /contacts"
    assert parent_service(one("triage", "ContactReceived")) == "intake"
    assert parent_service(one("queueing", "Classified")) == "triage"
    assert parent_service(one("reporting", "Queued")) == "queueing"
    assert parent_service(one("reporting", "Answered")) == "queueing"
