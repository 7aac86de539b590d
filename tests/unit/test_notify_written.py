"""A written contact (mail, e-service, social media) that triage decided is Nöd or flagged as a
possible emergency alerts the region's on-call at once, instead of waiting unread for opening
hours; every other classified contact calls for nothing, and costs notify no database work."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from schemas import Classified
from schemas.enums import Channel, NeedCategory
from schemas.envelope import Event
from services.notify.handlers import AlertHandler
from services.notify.policy import (
    AlertPolicy,
    Episode,
    Escalate,
    SendAlert,
    calls_for_on_call,
    plan,
    when_due,
    written_emergency_id,
)
from services.notify.written import written_emergency, written_facts
from services.shared.clock import SystemClock
from tests.notify_events import WEIGHED_WORDS, classified

NOW = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # a Tuesday night: nobody reads the mail
POLICY = AlertPolicy(
    escalation=timedelta(minutes=10), worsening_step=0.05, quiet=timedelta(minutes=15)
)
NOD, URGENT, INFO = NeedCategory.EMERGENCY, NeedCategory.URGENT, NeedCategory.INFORMATION
ACK = "https://notify.example.org/alerts/x/ack?token=t"


def test_a_phone_emergency_alerts_nobody_it_is_on_the_line_and_goes_to_112() -> None:
    nod_by_phone = classified(Channel.PHONE, NOD, NOW)
    assert not calls_for_on_call(nod_by_phone)
    assert plan(nod_by_phone, None, None, POLICY, NOW) == []
    flagged_by_phone = classified(Channel.PHONE, URGENT, NOW, possible_emergency=True)
    assert plan(flagged_by_phone, None, None, POLICY, NOW) == []


@pytest.mark.parametrize(
    ("channel", "category", "flagged"),
    [
        (Channel.MAIL, URGENT, True),
        (Channel.MAIL, INFO, True),
        (Channel.E_SERVICE, NOD, False),
        (Channel.SOCIAL_MEDIA, NOD, False),
        (Channel.SOCIAL_MEDIA, URGENT, True),
    ],
)
def test_a_written_emergency_or_possible_emergency_alerts_level_one_and_escalates(
    channel: Channel, category: NeedCategory, flagged: bool
) -> None:
    event = classified(channel, category, NOW, possible_emergency=flagged)
    assert calls_for_on_call(event)
    (alert,) = plan(event, None, None, POLICY, NOW)
    alert_id = written_emergency_id(event.contact_id)
    assert alert == SendAlert(
        "written_emergency",
        alert_id,
        None,
        level=1,
        share=None,
        escalate_at=NOW + POLICY.escalation,
        acknowledges=alert_id,
    )
    # Unacknowledged, it climbs the region's chain like a breach.
    unacknowledged = NOW + POLICY.escalation
    due = when_due(Episode(alert_id, None, 1, None), [1, 2], unacknowledged, POLICY)
    assert due == Escalate(alert_id, 1, 2, unacknowledged + POLICY.escalation)


def test_an_unflagged_written_contact_below_nod_alerts_nobody() -> None:
    for category in (URGENT, NeedCategory.CASE_HELP, INFO):
        event = classified(Channel.SOCIAL_MEDIA, category, NOW)
        assert not calls_for_on_call(event), category
        assert plan(event, None, None, POLICY, NOW) == []


def test_a_replayed_contact_plans_the_same_alert_which_is_stored_once() -> None:
    event = classified(Channel.MAIL, URGENT, NOW, possible_emergency=True)
    later = NOW + timedelta(minutes=3)
    (first,) = plan(event, None, None, POLICY, NOW)
    (again,) = plan(event, None, None, POLICY, later)
    assert isinstance(first, SendAlert)
    assert isinstance(again, SendAlert)
    assert first.alert_id == again.alert_id, "the same alert id: stored once"
    other = classified(Channel.MAIL, URGENT, NOW, possible_emergency=True)
    assert written_emergency_id(other.contact_id) != written_emergency_id(event.contact_id)


def test_the_alert_says_what_triage_decided_and_what_to_do_but_nothing_the_citizen_wrote() -> None:
    flagged = classified(Channel.MAIL, URGENT, NOW, possible_emergency=True)
    alert_id = written_emergency_id(flagged.contact_id)
    message = written_emergency(written_facts(flagged), alert_id).with_link(ACK)
    assert message.acknowledges == alert_id, "its own link acknowledges it"
    assert message.subject == "[PKC] Syd: possible emergency by mail, unread: read it now"
    assert str(flagged.contact_id) in message.text
    assert "2026-11-24 23:29 UTC" in message.text
    assert "Triage decided Skyndsamt but flags a possible emergency (P(Nöd) 31%)" in message.text
    assert "decided by the model; rules 2026.11-6, model 2026.11-6+b0513c1d." in message.text
    assert "read it now" in message.text
    assert message.text.rstrip().endswith(f"Acknowledge: {ACK}")
    payload = message.payload
    assert (payload["kind"], payload["decision"], payload["ack_url"]) == (
        "written_emergency",
        "possible_emergency",
        ACK,
    )
    assert (payload["region"], payload["channel"], payload["p_emergency"]) == ("syd", "mail", 0.31)
    assert not any(word in message.text + str(payload) for word in WEIGHED_WORDS)

    nod = classified(Channel.E_SERVICE, NOD, NOW)
    message = written_emergency(written_facts(nod), written_emergency_id(nod.contact_id))
    assert message.subject == "[PKC] Syd: Nöd by the e-service, unread: read it now"
    assert "Triage decided Nöd (P(Nöd) 93%), decided by the model" in message.text


def test_its_escalation_speaks_of_the_unread_contact_not_of_a_service_level() -> None:
    event = classified(Channel.SOCIAL_MEDIA, NOD, NOW)
    alert_id = written_emergency_id(event.contact_id)
    message = written_emergency(written_facts(event), alert_id, escalated_from=1)
    assert message.subject == "[PKC] ESCALATED: Syd: Nöd by social media, unread: read it now"
    assert "On-call level 1 has not acknowledged it." in message.text
    assert str(event.contact_id) in message.text
    assert "target" not in message.text
    assert message.payload["escalated_from"] == 1


class _NoDatabase:
    """Fails the test if the handler reaches the service (and so the database)."""

    def take(self, *_: object) -> bool:
        raise AssertionError("database work for a contact that calls for nothing")


class _Recording:
    def __init__(self) -> None:
        self.taken: list[Event] = []

    def take(self, event: Event, *_: object) -> bool:
        self.taken.append(event)
        return True


def handle(alerts: object, *events: Classified) -> bool:
    """Hands `events` to notify's handler; True when it woke the delivery loop."""
    wake = asyncio.Event()
    handler = AlertHandler(alerts, SystemClock(), wake)  # type: ignore[arg-type]

    async def handle_all() -> None:
        for event in events:
            await handler(event)

    asyncio.run(handle_all())
    return wake.is_set()


def test_the_handler_lets_contacts_that_call_for_nothing_go_before_any_database_work() -> None:
    woken = handle(
        _NoDatabase(),
        classified(Channel.PHONE, NOD, NOW),
        classified(Channel.SOCIAL_MEDIA, URGENT, NOW),
        classified(Channel.MAIL, INFO, NOW),
    )
    assert not woken
    recording = _Recording()
    flagged = classified(Channel.MAIL, URGENT, NOW, possible_emergency=True)
    assert handle(recording, flagged), "the delivery loop is woken"
    assert recording.taken == [flagged]
