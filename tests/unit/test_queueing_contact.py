"""A contact's state machine, without a database: each legal move and the events it publishes,
and each illegal move refused by name with the contact left as it was."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.service_level import NATIONAL, ServiceLevelPolicy
from schemas import Abandoned, Answered, CaseCreated, ContactResolved, Queued, QueueName, Region
from services.queueing.contact import Contact
from services.queueing.domain import (
    ContactStatus,
    Forbidden,
    IllegalMove,
    OpeningHours,
    Outcome,
    QueuePolicy,
)
from services.queueing.settings import QueueingSettings
from tests.queueing_contacts import NOW, classified

EVENING = datetime(2026, 5, 4, 19, 30, tzinfo=UTC)  # 21:30 in Stockholm
POLICY = QueuePolicy.build("", "close", NATIONAL)


def waiting(waited: float = 90) -> Contact:
    arrival = Contact.arrive(classified(Region.SYD, waited=waited), POLICY, NOW, traceparent=None)
    assert arrival.contact is not None
    return arrival.contact


def assigned(operator_id: str = "op") -> Contact:
    contact = waiting()
    for name, value in Contact.assignment(operator_id, None, NOW).items():
        setattr(contact, name, value)
    return contact


def answered(operator_id: str = "op", at: datetime = NOW) -> Contact:
    contact = assigned(operator_id)
    contact.answer(operator_id, Region.SYD, at)
    return contact


def test_a_contact_arriving_while_open_waits_in_its_queue_ranked_by_priority() -> None:
    event = classified(Region.SYD)
    arrival = Contact.arrive(event, POLICY, NOW, traceparent="00-trace")
    assert arrival.contact is not None
    assert arrival.contact.status == ContactStatus.WAITING
    assert arrival.contact.queue == QueueName.CRIME_REPORT
    assert arrival.contact.rank_at > event.received_at, "aged by its priority"
    assert isinstance(arrival.event, Queued)
    assert arrival.event.outside_service_hours is False


def test_a_backdated_received_at_ranks_by_intake_s_receipt_time_and_still_shows_its_wait() -> None:
    """An adapter that backdates received_at cannot jump the queue: the rank is intake's own
    receipt time; the wait shown and counted still starts at received_at. A record from
    before accepted_at existed ranks by received_at."""
    honest = classified(Region.SYD, waited=0)
    backdated = classified(Region.SYD, waited=240).model_copy(update={"accepted_at": NOW})
    first = Contact.arrive(honest, POLICY, NOW, traceparent=None).contact
    second = Contact.arrive(backdated, POLICY, NOW, traceparent=None).contact
    assert first is not None
    assert second is not None
    assert second.rank_at == first.rank_at, "ranked by intake's clock, not the adapter's"
    assert second.received_at == NOW - timedelta(seconds=240), "the wait still starts there"
    old = Contact.arrive(classified(Region.SYD, waited=240), POLICY, NOW, traceparent=None)
    assert old.contact is not None
    assert old.contact.rank_at < first.rank_at


def test_a_contact_arriving_while_closed_is_turned_away_or_queued_as_configured() -> None:
    late = classified(Region.SYD, at=EVENING, waited=0)
    turned_away = Contact.arrive(late, POLICY, EVENING, traceparent=None)
    assert turned_away.contact is None
    assert isinstance(turned_away.event, Abandoned)
    assert turned_away.event.reason == "closed"
    kept = Contact.arrive(late, replace(POLICY, closed_outcome="queue"), EVENING, None)
    assert kept.contact is not None
    assert kept.contact.outside_service_hours


def test_queues_open_during_the_service_level_hours_unless_configured() -> None:
    evening_shift = ServiceLevelPolicy(opens=NATIONAL.opens, closes=NATIONAL.closes.replace(22))
    hours = QueuePolicy.build("", "close", evening_shift).opening_hours[QueueName.CRIME_REPORT]
    assert hours == OpeningHours.of_service_level(evening_shift)
    assert hours.is_open(EVENING), "21:30 is open when the service runs to 22:00"


def test_an_answer_carries_the_wait_and_the_answering_operator() -> None:
    contact = assigned("op")
    event = contact.answer("op", Region.OST, NOW)
    assert isinstance(event, Answered)
    assert event.wait_seconds == 90
    assert (event.region, event.operator_region) == (Region.SYD, Region.OST)
    assert contact.status == ContactStatus.ANSWERED


def test_only_the_operator_holding_a_contact_answers_it_and_only_once() -> None:
    contact = assigned("holder")
    with pytest.raises(Forbidden):
        contact.answer("other", Region.SYD, NOW)
    contact.answer("holder", Region.SYD, NOW)
    with pytest.raises(IllegalMove, match="already answered"):
        contact.answer("holder", Region.SYD, NOW)
    with pytest.raises(Forbidden):
        waiting().answer("holder", Region.SYD, NOW)


def test_a_filed_report_creates_a_case_before_the_contact_is_resolved() -> None:
    contact = answered(at=NOW)
    events = contact.resolve("op", Outcome.REPORT_FILED, NOW + timedelta(minutes=4))
    case, resolved = events
    assert isinstance(case, CaseCreated)
    assert isinstance(resolved, ContactResolved)
    assert resolved.case_id == case.case_id
    assert case.case_number.startswith("K")
    assert resolved.handling_seconds == 240
    assert contact.status == ContactStatus.RESOLVED


def test_an_outcome_needs_an_answered_contact() -> None:
    with pytest.raises(IllegalMove, match="answer the contact before"):
        assigned().resolve("op", Outcome.INFORMATION_GIVEN, NOW)
    done = answered()
    done.resolve("op", Outcome.INFORMATION_GIVEN, NOW)
    with pytest.raises(IllegalMove, match="contact is resolved"):
        done.resolve("op", Outcome.INFORMATION_GIVEN, NOW)
    assert done.outcome == Outcome.INFORMATION_GIVEN, "the first outcome stands"


def test_waiting_and_assigned_contacts_may_be_abandoned_nothing_later() -> None:
    hung_up = waiting(waited=30).abandon("hung_up", NOW)
    assert (hung_up.reason, hung_up.wait_seconds) == ("hung_up", 30)
    assert assigned().abandon("timeout", NOW).reason == "timeout"
    with pytest.raises(IllegalMove, match="already answered"):
        answered().abandon("hung_up", NOW)


def test_a_released_contact_waits_again_in_its_old_place() -> None:
    contact = assigned()
    rank = contact.rank_at
    contact.release()
    assert contact.status == ContactStatus.WAITING
    assert (contact.operator_id, contact.assigned_at, contact.rank_at) == (None, None, rank)
    with pytest.raises(IllegalMove):
        contact.release()


def test_the_default_opening_hours_are_the_configured_service_level_hours() -> None:
    settings = QueueingSettings(sla_hours="08:00-22:00", opening_hours="urgent=00:00-24:00")
    hours = settings.queue_policy().opening_hours
    assert hours[QueueName.CRIME_REPORT].is_open(EVENING), "21:30, before 22:00"
    assert not hours[QueueName.SWITCHBOARD].is_open(NOW - timedelta(hours=2, minutes=30)), "07:30"
    assert hours[QueueName.URGENT].is_open(NOW - timedelta(hours=9)), "its own hours"
