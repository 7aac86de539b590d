"""Personal data never reaches a log line or a span attribute, on any service."""

from datetime import timedelta

import httpx
import pytest

from pkc.polling import poll
from tests.e2e.conftest import Platform
from tests.e2e.test_skeleton_flow import log_in, post_contact, take_when_queued

pytestmark = pytest.mark.kafka

# Recognisable, made-up personal data: a name, identity numbers, phone numbers, an address.
SECRETS = (
    "Agnetha Fältskog-Lindqvist",
    "19850317-4821",
    "850317-4821",
    "070-555 12 34",
    "+46 8 555 123 45",
    "agnetha.lindqvist@example.se",
)
TEXT = (
    "Hej, jag heter Agnetha Fältskog-Lindqvist, personnummer 19850317-4821 (850317-4821). "
    "Min cykel blev stulen i förra veckan. Ring mig på 070-555 12 34 eller +46 8 555 123 45, "
    "mejla agnetha.lindqvist@example.se."
)


def test_names_identity_numbers_and_phone_numbers_stay_out_of_logs_and_spans(
    platform: Platform,
) -> None:
    operator = log_in(platform, "op-pii", "bergslagen")
    contact = post_contact(platform, "pii-1", "bergslagen", TEXT, timedelta(minutes=1))
    # Bad input carrying personal data too: it must not be echoed or logged.
    refused = httpx.post(
        f"{platform.url('intake')}/contacts",
        json={
            "idempotency_key": "pii-2",
            "source": "phone-gw",
            "region": "gotland",
            "channel": "phone",
            "text": TEXT,
        },
        headers=platform.adapter,
    )
    assert refused.status_code == 422
    assert all(secret not in refused.text for secret in SECRETS)
    # A query string is the caller's to fill (an identity number in it, here): no span keeps
    # the path's query (a span is named by its route's template).
    asked = httpx.get(
        f"{platform.url('intake')}/contacts/{contact}",
        params={"note": "19850317-4821"},
        headers=platform.adapter,
    )
    assert asked.status_code == 200
    for name in platform.services:  # every service's app, on a route without a span of ours
        assert httpx.get(
            f"{platform.url(name)}/healthz", params=asked.request.url.params
        ).is_success
    taken = take_when_queued(platform, operator)
    assert taken["contact_id"] == contact
    httpx.post(f"{platform.url('queueing')}/contacts/{contact}/answer", headers=operator)

    # The answer reached reporting (so every service has handled this contact) ...
    poll(
        lambda: "pkc.contact_id" in (logged := _logs(platform, "reporting")) and contact in logged,
        "reporting to log its handling of the contact",
        interval=0.3,
    )
    # ... and no log line or span of any service holds any of the personal data.
    for name in platform.services:
        text = _logs(platform, name)
        for secret in SECRETS:
            assert secret not in text, f"{name} logged personal data"


def _logs(platform: Platform, name: str) -> str:
    return platform.services[name].log_file.read_text(errors="replace")
