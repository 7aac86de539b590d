"""Cases the citizen follows, without I/O: the per-case secret, the limiter of wrong secrets,
and a case's status and history (services/queueing/cases/)."""

import uuid
from datetime import timedelta

import pytest

from schemas import CaseCreated, Channel, MatterType, NeedCategory, Region
from services.queueing.cases.domain import Case, CaseStatus
from services.queueing.cases.limiter import FailureLimiter
from services.queueing.cases.secret import case_secret, matches
from services.queueing.contact import Contact
from services.queueing.domain import IllegalMove, QueuePolicy
from services.reporting.window import WindowConfig
from tests.queueing_contacts import NOW

KEY = b"a-test-key-of-thirty-two-bytes!!"
ALWAYS_OPEN = QueuePolicy.build("", "queue", WindowConfig().policy)


def created(by: str = "operator") -> CaseCreated:
    return CaseCreated(
        occurred_at=NOW,
        case_id=uuid.uuid4(),
        contact_id=uuid.uuid4(),
        region=Region.SYD,
        case_number="K1234567-26",
        matter=MatterType.THEFT,
        created_by=by,
    )


def test_a_case_secret_is_the_same_every_time_and_its_own_per_case_and_key() -> None:
    case_id = uuid.uuid4()
    secret = case_secret(KEY, case_id)
    assert secret == case_secret(KEY, case_id)
    assert len(secret) == 19
    assert secret.count("-") == 3
    assert secret != case_secret(KEY, uuid.uuid4())
    assert secret != case_secret(b"another-key-of-thirty-two-bytes!", case_id)


def test_a_secret_matches_as_a_person_types_it_and_nothing_else_does() -> None:
    secret = case_secret(KEY, uuid.uuid4())
    assert matches(secret, secret)
    assert matches(f"  {secret.lower().replace('-', ' ')} ", secret)
    lookalike = secret.replace("O", "0").replace("I", "1").replace("B", "8")
    assert matches(lookalike, secret)
    assert not matches(None, secret)
    assert not matches("", secret)
    assert not matches(secret[:-1], secret)
    wrong_last = secret[:-1] + ("A" if secret[-1] != "A" else "C")
    assert not matches(wrong_last, secret)
    assert not matches(secret + "A", secret)


def test_an_address_is_refused_after_too_many_wrong_secrets_until_they_age_out() -> None:
    now = [0.0]
    limiter = FailureLimiter(max_failures=3, window_seconds=60, clock=lambda: now[0])
    for _ in range(2):
        limiter.failed("192.0.2.1")
    assert not limiter.blocked("192.0.2.1")
    limiter.failed("192.0.2.1")
    assert limiter.blocked("192.0.2.1")
    assert not limiter.blocked("192.0.2.2"), "another address is not punished"
    now[0] = 61.0
    assert not limiter.blocked("192.0.2.1")


def test_the_limiter_forgets_the_oldest_address_beyond_its_bound() -> None:
    limiter = FailureLimiter(max_failures=1, window_seconds=60, max_addresses=2)
    for address in ("a", "b", "c"):
        limiter.failed(address)
    assert not limiter.blocked("a")
    assert limiter.blocked("b")
    assert limiter.blocked("c")


def test_a_case_opens_with_its_creation_and_notes_show_the_citizen_only_if_marked() -> None:
    case = Case.opened(created("e_service"))
    assert case.status == CaseStatus.OPEN
    assert [(e.kind, e.by) for e in case.history] == [("created", "e_service")]
    hidden = case.note("op-1", "internal remark", False, NOW + timedelta(minutes=1))
    shown = case.note("op-1", "We have received your report.", True, NOW + timedelta(minutes=2))
    assert (hidden.kind, hidden.by, hidden.visible_to_citizen) == ("note", "operator", False)
    assert shown.visible_to_citizen
    assert shown.operator_id == "op-1"
    seen = [(e.kind, e.text) for e in case.for_citizen()]
    assert seen == [("created", None), ("note", "We have received your report.")]
    assert len(case.history) == 3, "staff keep every note"


def test_the_citizens_information_becomes_a_written_contact_in_the_cases_region() -> None:
    case = Case.opened(created())
    contact_id = uuid.uuid4()
    updated, classified = case.information(contact_id, NOW)
    assert (updated.kind, updated.by, updated.contact_id) == ("information", "citizen", contact_id)
    assert updated.case_id == case.case_id
    assert updated.region == Region.SYD
    assert classified.contact_id == contact_id
    assert (classified.region, classified.channel) == (Region.SYD, Channel.E_SERVICE)
    assert (classified.category, classified.matter) == (NeedCategory.CASE_HELP, MatterType.THEFT)
    arrival = Contact.arrive(classified, ALWAYS_OPEN, NOW, None)
    assert arrival.contact is not None
    assert arrival.event.event_type == "Queued"
    assert arrival.event.region == Region.SYD
    (entry,) = [e for e in case.for_citizen() if e.kind == "information"]
    assert entry.contact_id is None, "the citizen's view names no contact"


def test_a_closed_case_takes_no_note_information_or_second_closing() -> None:
    case = Case.opened(created())
    closed = case.close("sup-1", "handled", NOW)
    assert (closed.reason, closed.operator_id) == ("handled", "sup-1")
    assert case.status == CaseStatus.CLOSED
    assert case.closed_at == NOW
    assert case.history[-1].kind == "closed"
    assert case.history[-1].reason == "handled"
    with pytest.raises(IllegalMove):
        case.note("op-1", "late", True, NOW)
    with pytest.raises(IllegalMove):
        case.information(uuid.uuid4(), NOW)
    with pytest.raises(IllegalMove):
        case.close("sup-1", "duplicate", NOW)
