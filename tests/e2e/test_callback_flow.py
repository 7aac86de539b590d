"""A caller who would rather be called back, on the whole platform (five processes, real Kafka,
the session's Keycloak): the phone adapter reads its contact's position and estimated wait from
intake, asks queueing for a callback, and an operator calls back: nobody answers the first
time, so the contact waits out its retry in its place (the next call is served meanwhile), and
the second call reaches the caller. The adapter's status then says answered."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from pkc.polling import poll
from tests.e2e.conftest import Platform
from tests.identities import Headers

# Its time goes on the callback's retry timer: see `waits`.
pytestmark = [pytest.mark.kafka, pytest.mark.waits]

RETRY_MINUTES = 0.5  # long enough that the steps before the next take never outrun it
# The estimate falls back on the assumed handling time and the wrap-up after it while too few
# contacts were answered to measure the queue's rate (docs/queues.md).
HANDLING_SECONDS, WRAP_UP_SECONDS = 300, 20
PLATFORM_SETTINGS = {
    "PKC_QUEUEING_CALLBACK_RETRY_MINUTES": str(RETRY_MINUTES),
    "PKC_QUEUEING_ASSUMED_HANDLING_SECONDS": str(HANDLING_SECONDS),
    "PKC_QUEUEING_WRAP_UP_SECONDS": str(WRAP_UP_SECONDS),
}
REGION = "nord"
THEFT_REPORT = "Hej, jag vill anmäla att min cykel blev stulen utanför jobbet i förra veckan."
NUMBER = "070-123 45 67"


def post_call(platform: Platform, key: str, waited: timedelta) -> str:
    response = httpx.post(
        f"{platform.url('intake')}/contacts",
        json={
            "idempotency_key": key,
            "source": "phone-gw",
            "region": REGION,
            "channel": "phone",
            "text": THEFT_REPORT,
            "received_at": (platform.clock.now() - waited).isoformat(),
        },
        headers=platform.adapter,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["contact_id"])


def status_of(platform: Platform, contact_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{platform.url('intake')}/contacts/{contact_id}", headers=platform.adapter, timeout=10
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def placed(platform: Platform, contact_id: str) -> dict[str, Any]:
    """The contact's status once it is queued with a position."""

    def queued() -> dict[str, Any] | None:
        status = status_of(platform, contact_id)
        return status if status["stage"] == "queued" and status["position"] else None

    return poll(queued, "the contact queued with its position", interval=0.2)


def operator_call(
    platform: Platform, method: str, path: str, headers: Headers, body: object = None
) -> httpx.Response:
    url = f"{platform.url('queueing')}{path}"
    return httpx.request(method, url, json=body, headers=headers, timeout=10)


def take_next(platform: Platform, operator: Headers) -> str | None:
    taken = operator_call(platform, "POST", "/operators/me/next", operator)
    if taken.status_code == 204:
        return None
    assert taken.status_code == 200, taken.text
    return str(taken.json()["contact_id"])


def test_a_caller_sees_their_place_asks_for_a_callback_and_is_called_back(
    platform: Platform,
) -> None:
    operator = platform.person("op-nord-callback", "operator", REGION)
    signed_in = operator_call(platform, "POST", "/operators/login", operator, {})
    assert signed_in.status_code == 200, signed_in.text
    caller = post_call(platform, "callback-caller", timedelta(minutes=2))
    behind = post_call(platform, "callback-behind", timedelta(minutes=1))

    # One operator ready: the first in line is next (no wait), the second waits for them.
    first = placed(platform, caller)
    second = placed(platform, behind)
    assert (first["position"], first["estimated_wait_seconds"]) == (1, 0.0)
    assert (second["position"], second["estimated_wait_seconds"]) == (
        2,
        HANDLING_SECONDS + WRAP_UP_SECONDS,
    )
    assert "cykel" not in str(first), "no citizen text in a status"

    asked = httpx.post(
        f"{platform.url('queueing')}/contacts/{caller}/callback",
        json={"number": NUMBER},
        headers=platform.adapter,
    )
    assert asked.status_code == 201, asked.text
    assert status_of(platform, caller)["position"] == 1, "the callback keeps its place"

    # Its turn: the operator gets it and reads the number to call.
    assert poll(lambda: take_next(platform, operator), "the callback to reach the operator") == (
        caller
    )
    held = status_of(platform, caller)
    assert (held["stage"], held["position"]) == ("queued", None), "held: no place in the queue"
    task = operator_call(platform, "GET", f"/contacts/{caller}/callback", operator).json()
    assert (task["number"], task["attempt"]) == (NUMBER, 1)

    retry_at = platform.clock.now() + timedelta(minutes=RETRY_MINUTES)  # at the earliest
    unanswered = operator_call(platform, "POST", f"/contacts/{caller}/callback/no-answer", operator)
    assert unanswered.status_code == 200, unanswered.text
    assert (unanswered.json()["attempt"], unanswered.json()["retry"]) == (1, True)

    # Meanwhile the next caller is served; the callback is offered again at its retry.
    assert take_next(platform, operator) == behind
    served = operator_call(platform, "POST", f"/contacts/{behind}/answer", operator)
    assert served.status_code == 200, served.text
    again = poll(
        lambda: take_next(platform, operator),
        "the callback offered again at its retry",
        timeout=RETRY_MINUTES * 60 + 60,
        interval=0.5,
    )
    assert again == caller
    assert platform.clock.now() >= retry_at, "not offered again before its retry"
    task = operator_call(platform, "GET", f"/contacts/{caller}/callback", operator).json()
    assert (task["number"], task["attempt"]) == (NUMBER, 2)
    reached = operator_call(platform, "POST", f"/contacts/{caller}/answer", operator)
    assert reached.status_code == 200, reached.text

    def answered() -> dict[str, Any] | None:
        status = status_of(platform, caller)
        return status if status["stage"] == "answered" else None

    assert poll(answered, "the adapter's status to say answered", interval=0.2)["position"] is None
    gone = operator_call(platform, "GET", f"/contacts/{caller}/callback", operator)
    assert gone.status_code == 404, "reached: the number is deleted"
