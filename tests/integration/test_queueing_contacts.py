"""Queueing's state changes on SQLite and PostgreSQL: atomic assignment, outcomes, refusals,
opening hours, abandonment and reinforcement routing. Each change's events are in the outbox."""

import asyncio
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from domain.service_level import NATIONAL
from schemas import (
    Classified,
    DonorLoan,
    NeedCategory,
    QueueName,
    Region,
    SlaRecovered,
    SlaWindow,
)
from services.queueing import views
from services.queueing.contact import Contact
from services.queueing.domain import (
    Actor,
    AuditQuery,
    Forbidden,
    NotFound,
    OpeningHours,
    OperatorOnDuty,
    OperatorStatus,
    Outcome,
    QueueError,
    parse_opening_hours,
)
from services.queueing.handlers import QueueingHandler
from services.queueing.operators import AlreadySignedIn
from services.queueing.presence import PauseReason
from services.queueing.presence_moves import move_known_presence
from services.queueing.settings import QueueingSettings
from services.queueing.tables import Operator, OutboxRecord, QueueEntry
from services.shared.clock import SimulatedClock
from tests.notify_events import reinforcement_requested
from tests.queueing_contacts import NOW, Queueing, classified

HOUR = timedelta(hours=1)
SUPERVISOR = Actor("supervisor-syd", "subject-of-supervisor-syd")
REPORTING = Actor.service("reporting")
SERVICE_HOURS = OpeningHours.of_service_level(NATIONAL)  # 07:00-20:00 Stockholm time


@pytest.fixture
def q(database_url: str) -> Queueing:
    return Queueing(database_url)


def test_fifty_concurrent_operators_never_get_the_same_contact(q: Queueing) -> None:
    for _ in range(200):
        q.contacts.enqueue(classified(), NOW)
    operators = [q.log_in(f"op-{i}", Region.VAST) for i in range(50)]
    taken: list[uuid.UUID] = []
    lock = threading.Lock()

    def work(operator: Operator) -> None:
        while (entry := q.contacts.take_next(operator.operator_id, NOW)) is not None:
            q.contacts.answer(operator, entry.contact_id, NOW)
            with lock:
                taken.append(entry.contact_id)

    threads = [threading.Thread(target=work, args=(op,)) for op in operators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == len(set(taken)) == 200
    answered = [e for e in q.events() if e["event_type"] == "Answered"]
    assert len(answered) == 200


def test_a_redelivered_classified_event_is_queued_once(q: Queueing) -> None:
    event = classified()
    assert q.contacts.enqueue(event, NOW)
    assert not q.contacts.enqueue(event, NOW)
    assert [e["event_type"] for e in q.events()].count("Queued") == 1


def test_a_batch_is_queued_in_one_go_each_contact_once_with_its_own_trace(q: Queueing) -> None:
    seen_before, first, second = classified(), classified(Region.SYD), classified(Region.NORD)
    q.contacts.enqueue(seen_before, NOW)
    trace_of = {first.contact_id: _traceparent("1"), second.contact_id: _traceparent("2")}
    batch = [(e, trace_of.get(e.contact_id)) for e in (first, seen_before, second, first)]
    assert q.contacts.enqueue_all(batch, NOW) == 2, "a redelivery, in the batch or before: no-op"
    queued = [str(e["contact_id"]) for e in q.events() if e["event_type"] == "Queued"]
    assert sorted(queued) == sorted(str(e.contact_id) for e in (seen_before, first, second))
    with Session(q.db.engine) as session:
        outbox = {
            json.loads(r.event_json)["contact_id"]: r for r in session.exec(select(OutboxRecord))
        }
    for contact_id, traceparent in trace_of.items():
        assert q.entry(contact_id).traceparent == traceparent, "the trace its record came in"
        assert outbox[str(contact_id)].traceparent == traceparent, "Queued published in it"


def _traceparent(span: str) -> str:
    return f"00-{'ab' * 16}-{span * 16}-01"


def test_operators_take_only_their_regions_and_skills(q: Queueing) -> None:
    q.contacts.enqueue(classified(Region.SYD), NOW)
    tip = classified(Region.NORD, priority=2, category=NeedCategory.URGENT)
    q.contacts.enqueue(tip, NOW)
    other_region = q.log_in("op-nord", Region.NORD, [QueueName.CRIME_REPORT])
    assert q.contacts.take_next(other_region.operator_id, NOW) is None, "skill: not urgent"
    urgent = q.log_in("op-nord-2", Region.NORD, [QueueName.URGENT])
    assert q.take(urgent).contact_id == tip.contact_id


def test_priority_then_waiting_time_with_aging(q: Queueing) -> None:
    old_question = classified(priority=5, waited=20 * 60)
    fresh_tip = classified(priority=1, waited=10)
    middle = classified(priority=3, waited=60)
    for event in (middle, fresh_tip, old_question):
        q.contacts.enqueue(event, NOW)
    operator = q.log_in("op", Region.VAST)
    order = []
    for _ in range(3):
        entry = q.take(operator)
        q.contacts.answer(operator, entry.contact_id, NOW)
        order.append(entry.contact_id)
    assert order == [old_question.contact_id, fresh_tip.contact_id, middle.contact_id]


def test_a_possible_emergency_jumps_its_queue_and_the_operator_sees_the_flag(
    q: Queueing,
) -> None:
    long_waiting = classified(priority=1, waited=45 * 60)
    in_doubt = classified(priority=4, waited=5, possible_emergency=True, low_confidence=True)
    for event in (long_waiting, in_doubt):
        q.contacts.enqueue(event, NOW)
    assert q.contacts.state(Region.VAST, NOW)["possible_emergencies_waiting"] == 1
    queued = [e for e in q.events() if e["event_type"] == "Queued"]
    assert [e["possible_emergency"] for e in queued] == [False, True]
    operator = q.log_in("op", Region.VAST)
    first = q.take(operator)
    assert first.contact_id == in_doubt.contact_id
    shown = views.AssignedContact.of(first)
    assert shown.possible_emergency
    assert shown.low_confidence
    assert q.contacts.state(Region.VAST, NOW)["possible_emergencies_waiting"] == 0


def test_an_answer_carries_the_wait_and_a_filed_report_creates_a_case(q: Queueing) -> None:
    event = classified(waited=300)
    q.contacts.enqueue(event, NOW)
    operator = q.log_in("op", Region.VAST)
    assert q.contacts.take_next(operator.operator_id, NOW) is not None
    answered = q.contacts.answer(operator, event.contact_id, NOW)
    assert answered.wait_seconds == 300
    assert answered.operator_region == Region.VAST
    resolved = q.contacts.resolve(operator, event.contact_id, Outcome.REPORT_FILED, NOW)
    assert resolved.case_id is not None
    cases = [e for e in q.events() if e["event_type"] == "CaseCreated"]
    assert len(cases) == 1
    assert cases[0]["created_by"] == "operator"
    assert str(cases[0]["case_number"]).startswith("K")


def test_refusals_leave_the_state_unchanged(q: Queueing) -> None:
    event = classified()
    q.contacts.enqueue(event, NOW)
    holder = q.log_in("holder", Region.VAST)
    other = q.log_in("other", Region.VAST)
    with pytest.raises(NotFound):
        q.contacts.take_next("nobody", NOW)
    q.operators.pause(other.operator_id, PauseReason.RAST, NOW)
    with pytest.raises(QueueError, match="paused"):
        q.contacts.take_next(other.operator_id, NOW)
    assert q.entry(event.contact_id).status == "waiting"
    assert q.contacts.take_next(holder.operator_id, NOW) is not None
    with pytest.raises(QueueError, match="answer the contact before"):
        q.contacts.resolve(holder, event.contact_id, Outcome.INFORMATION_GIVEN, NOW)
    with pytest.raises(Forbidden):
        q.contacts.answer(other, event.contact_id, NOW)
    first = q.contacts.answer(holder, event.contact_id, NOW)
    events_before = len(q.events())
    assert q.contacts.answer(holder, event.contact_id, NOW) == first, "a retry: the first answer"
    assert len(q.events()) == events_before
    assert q.entry(event.contact_id).status == "answered"


def test_presence_changes_are_events(q: Queueing) -> None:
    operator = q.log_in("op", Region.MITT)
    q.operators.pause(operator.operator_id, PauseReason.UTBILDNING, NOW)
    q.operators.resume(operator.operator_id, NOW)
    q.operators.log_out(operator.operator_id, NOW)
    presence = [e["status"] for e in q.events() if e["event_type"] == "OperatorPresenceChanged"]
    assert presence == ["available", "paused", "available", "offline"]
    assert q.operators.on_duty("op") is None, "a signed-out operator has no session"
    audited = [(r.kind, r.actor, r.detail) for r in reversed(q.db.audit_log(AuditQuery()))]
    assert audited == [
        ("signed_in", "op", f"skills={','.join(s.value for s in QueueName)}"),
        ("paused", "op", "reason=utbildning"),
        ("resumed", "op", ""),
        ("signed_out", "op", ""),
    ]


def test_a_second_sign_in_is_refused_unless_it_takes_the_session_over(q: Queueing) -> None:
    person = Actor("op-a", "subject-a")
    q.operators.sign_in(person, Region.MITT, [], False, NOW)
    with pytest.raises(AlreadySignedIn, match="sign in with takeover"):
        q.operators.sign_in(person, Region.MITT, [], False, NOW)
    q.operators.sign_in(person, Region.MITT, [], True, NOW)
    kinds = [r.kind for r in q.db.audit_log(AuditQuery(person="subject-a"))]
    assert kinds == ["session_taken_over", "signed_in"]


def test_a_contact_held_when_its_operator_leaves_goes_back_in_its_old_place(
    q: Queueing,
) -> None:
    older, _ = _enqueue_older_and_newer(q)
    leaver, colleague = q.log_in("leaver", Region.VAST), q.log_in("colleague", Region.VAST)
    assert q.take(leaver).contact_id == older.contact_id
    q.operators.log_out(leaver.operator_id, NOW)
    assert q.take(colleague).contact_id == older.contact_id, "first in line again"
    assert q.contacts.answer(colleague, older.contact_id, NOW).wait_seconds == 600


def test_logging_in_again_frees_the_operator_from_a_contact_never_answered(
    q: Queueing,
) -> None:
    first, second = _enqueue_older_and_newer(q)
    assert q.take(q.log_in("op", Region.VAST)).contact_id == first.contact_id
    operator = q.log_in("op", Region.VAST)  # the UI crashed and the operator logs in again
    assert q.take(operator).contact_id == first.contact_id
    assert q.entry(second.contact_id).status == "waiting"


def _enqueue_older_and_newer(q: Queueing) -> tuple[Classified, Classified]:
    """Two contacts in Väst's queue: the first has waited ten minutes, the second one."""
    older, newer = classified(waited=600), classified(waited=60)
    q.contacts.enqueue(older, NOW)
    q.contacts.enqueue(newer, NOW)
    return older, newer


def _at_once(calls: list[Callable[[], object]]) -> tuple[list[object], list[Exception]]:
    """Runs each call on its own thread, all released together; their results and refusals."""
    start = threading.Barrier(len(calls))
    results: list[object] = []
    refusals: list[Exception] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            outcome = call()
            with lock:
                results.append(outcome)
        except QueueError as exc:
            with lock:
                refusals.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, refusals


def test_one_operator_asking_for_contacts_many_times_at_once_gets_one(q: Queueing) -> None:
    for _ in range(10):
        q.contacts.enqueue(classified(), NOW)
    operator = q.log_in("op", Region.VAST)
    results, refusals = _at_once([lambda: q.contacts.take_next(operator.operator_id, NOW)] * 8)
    assert not refusals
    assert len(results) == 8
    assert len({c.contact_id for c in results if isinstance(c, Contact)}) == 1, "one contact"
    with Session(q.db.engine) as session:
        held = session.exec(select(QueueEntry).where(QueueEntry.status == "assigned")).all()
    assert len(held) == 1


def test_an_outcome_posted_twice_at_once_resolves_the_contact_once(q: Queueing) -> None:
    event = classified()
    q.contacts.enqueue(event, NOW)
    operator = q.log_in("op", Region.VAST)
    q.contacts.take_next(operator.operator_id, NOW)
    q.contacts.answer(operator, event.contact_id, NOW)
    resolve = lambda: q.contacts.resolve(operator, event.contact_id, Outcome.REPORT_FILED, NOW)  # noqa: E731
    results, refusals = _at_once([resolve] * 8)
    assert not refusals, "the same outcome again gets the first response"
    assert len(results) == 8
    assert all(r == results[0] for r in results)
    kinds = [e["event_type"] for e in q.events()]
    assert kinds.count("ContactResolved") == kinds.count("CaseCreated") == 1


def _answer_while_hanging_up(q: Queueing) -> list[object]:
    event = classified()
    q.contacts.enqueue(event, NOW)
    operator = q.log_in("op", Region.VAST)
    q.contacts.take_next(operator.operator_id, NOW)
    results, _ = _at_once(
        [
            lambda: q.contacts.answer(operator, event.contact_id, NOW),
            lambda: q.contacts.abandon(event.contact_id, NOW, "hung_up"),
        ]
    )
    q.operators.log_out(operator.operator_id, NOW)
    return results


def test_a_hang_up_racing_the_answer_leaves_one_of_them(q: Queueing) -> None:
    for _ in range(20):
        assert len(_answer_while_hanging_up(q)) == 1, "answered and abandoned both"


def test_a_contact_arriving_while_closed_gets_the_configured_outcome(database_url: str) -> None:
    evening = datetime(2026, 5, 4, 19, 30, tzinfo=UTC)  # 21:30 in Stockholm
    closing = Queueing(database_url, "close")
    closing.contacts.enqueue(classified(at=evening, waited=0), evening)
    abandoned = [e for e in closing.events() if e["event_type"] == "Abandoned"]
    assert abandoned[0]["reason"] == "closed"
    assert abandoned[0]["outside_service_hours"] is True


def test_opening_hours_follow_stockholm_time_across_daylight_saving() -> None:
    hours = SERVICE_HOURS
    winter_open = datetime(2026, 1, 15, 6, 30, tzinfo=UTC)  # 07:30 CET
    summer_closed = datetime(2026, 7, 15, 18, 30, tzinfo=UTC)  # 20:30 CEST
    summer_open = datetime(2026, 7, 15, 17, 30, tzinfo=UTC)  # 19:30 CEST
    assert hours.is_open(winter_open)
    assert not hours.is_open(summer_closed)
    assert hours.is_open(summer_open)


def test_opening_hours_may_run_across_midnight_or_around_the_clock() -> None:
    hours = parse_opening_hours("urgent=20:00-07:00,switchboard=00:00-24:00", SERVICE_HOURS)
    night = hours[QueueName.URGENT]
    assert night.is_open(datetime(2026, 1, 15, 22, 30, tzinfo=UTC))  # 23:30 CET
    assert night.is_open(datetime(2026, 1, 15, 5, 59, tzinfo=UTC))  # 06:59 CET
    assert not night.is_open(datetime(2026, 1, 15, 6, 0, tzinfo=UTC))  # 07:00 CET
    assert not night.is_open(datetime(2026, 7, 15, 17, 59, tzinfo=UTC))  # 19:59 CEST
    always = hours[QueueName.SWITCHBOARD]
    assert all(always.is_open(NOW + timedelta(minutes=m)) for m in range(0, 24 * 60, 7))
    assert hours[QueueName.CRIME_REPORT] == SERVICE_HOURS  # not named: the service's hours


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("urgent=07:00-07:00", "open and close at one time"),
        ("urgent=24:00-07:00", "write 00:00"),
        ("urgent=7-20", "not HH:MM-HH:MM"),
        ("urgent=25:00-07:00", "not HH:MM-HH:MM"),
        ("queue=07:00-20:00", "unknown queue"),
    ],
)
def test_opening_hours_that_make_no_sense_are_refused_by_name(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_opening_hours(spec, SERVICE_HOURS)
    with pytest.raises(ValueError, match=reason):  # the service refuses to start with them
        QueueingSettings(opening_hours=spec)


def test_hang_ups_and_time_outs_are_abandoned_with_their_wait(q: Queueing) -> None:
    hung_up, overdue = classified(waited=30), classified(waited=3600)
    q.contacts.enqueue(hung_up, NOW)
    q.contacts.enqueue(overdue, NOW)
    q.contacts.abandon(hung_up.contact_id, NOW, "hung_up")
    assert q.contacts.time_out_overdue(timedelta(minutes=45), NOW) == 1
    reasons = {
        e["contact_id"]: (e["reason"], e["wait_seconds"])
        for e in q.events()
        if e["event_type"] == "Abandoned"
    }
    assert reasons[str(hung_up.contact_id)] == ("hung_up", 30)
    assert reasons[str(overdue.contact_id)] == ("timeout", 3600)
    with pytest.raises(QueueError, match="already abandoned"):
        q.contacts.abandon(hung_up.contact_id, NOW, "hung_up")


def test_reinforcement_lends_k_donor_operators_to_the_longest_waiting_contacts(
    q: Queueing,
) -> None:
    sthlm = [classified(Region.STOCKHOLM, waited=w) for w in (100, 900, 500)]
    for event in sthlm:
        q.contacts.enqueue(event, NOW)
    own = classified(Region.SYD, waited=10)
    q.contacts.enqueue(own, NOW)
    donors = [q.log_in(f"syd-{i}", Region.SYD) for i in range(3)]
    two_from_syd = (DonorLoan(region=Region.SYD, operators=2),)
    order = q.reinforcements.order(Region.STOCKHOLM, two_from_syd, NOW + HOUR, SUPERVISOR, NOW)
    first, second, third = [q.take(donor) for donor in donors]
    assert [first.contact_id, second.contact_id] == [sthlm[1].contact_id, sthlm[2].contact_id]
    assert third.contact_id == own.contact_id, "only k=2 of Syd's operators are lent"
    answered = q.contacts.answer(donors[0], first.contact_id, NOW)
    assert answered.region == Region.STOCKHOLM
    assert answered.operator_region == Region.SYD
    kinds = [r.kind for r in q.db.audit_log(AuditQuery())]
    assert {"order_created", "operator_lent", "answered_under_order"} <= set(kinds)

    q.reinforcements.end(order.order_id, SUPERVISOR, "ended_early", NOW)
    q.contacts.answer(donors[1], second.contact_id, NOW)
    assert q.contacts.take_next(donors[1].operator_id, NOW) is None, "back to Syd's own queue"
    with pytest.raises(QueueError, match="already ended"):
        q.reinforcements.end(order.order_id, SUPERVISOR, "ended_early", NOW)
    ended = [e for e in q.events() if e["event_type"] == "ReinforcementEnded"]
    assert ended[0]["reason"] == "ended_early"


def test_an_expired_order_ends_by_itself(q: Queueing) -> None:
    one_from_ost = (DonorLoan(region=Region.OST, operators=1),)
    q.reinforcements.order(Region.NORD, one_from_ost, NOW + timedelta(minutes=30), REPORTING, NOW)
    assert q.reinforcements.expire(NOW + timedelta(minutes=10)) == 0
    assert q.reinforcements.expire(NOW + timedelta(minutes=31)) == 1
    assert q.reinforcements.active(NOW + timedelta(minutes=31)) == []


@pytest.mark.parametrize(
    ("donors", "until", "refusal"),
    [
        ((Region.NORD, 1), HOUR, "donor"),  # Nord cannot reinforce itself
        ((Region.OST, 1), -HOUR, "future"),
        ((Region.OST, 2, Region.OST, 1), HOUR, "once"),
        ((Region.OST, 48_899_013_067_651), HOUR, "at most"),
        ((Region.OST, 2), timedelta(days=300), "a day"),
    ],
)
def test_an_order_from_itself_repeated_donors_absurd_loans_or_a_bad_end_is_refused(
    q: Queueing, donors: tuple[object, ...], until: timedelta, refusal: str
) -> None:
    pairs = zip(donors[::2], donors[1::2], strict=True)
    loans = tuple(DonorLoan(region=r, operators=n) for r, n in pairs)
    with pytest.raises(QueueError, match=refusal):
        q.reinforcements.order(Region.NORD, loans, NOW + until, SUPERVISOR, NOW)
    assert q.reinforcements.active(NOW) == []


def test_a_recovery_ends_only_the_order_its_own_episode_requested(q: Queueing) -> None:
    """A recovery replayed from an old month (another episode) leaves today's order standing."""
    handler = QueueingHandler(q.contacts, q.reinforcements, SimulatedClock(NOW, speed=0.0))
    window = SlaWindow(
        start=NOW - HOUR, end=NOW, offered=40, answered_within=20, answered_late=20, abandoned=0
    )
    episode, old_episode = uuid.uuid4(), uuid.uuid4()
    request = reinforcement_requested(episode, window)  # Syd asks, until 2 h after NOW

    def recovered(of: uuid.UUID) -> SlaRecovered:
        return SlaRecovered(
            occurred_at=NOW, region=Region.SYD, episode_id=of, window=window, target=0.85
        )

    asyncio.run(handler(request))
    assert len(q.reinforcements.active(NOW, Region.SYD.value)) == 1
    asyncio.run(handler(recovered(old_episode)))
    assert len(q.reinforcements.active(NOW, Region.SYD.value)) == 1
    asyncio.run(handler(recovered(episode)))
    assert q.reinforcements.active(NOW, Region.SYD.value) == []
    ended = [e for e in q.events() if e["event_type"] == "ReinforcementEnded"]
    assert [e["reason"] for e in ended] == ["recovered"]


@pytest.mark.parametrize("since", ["paused", "signed out"])
def test_take_next_moves_the_operator_from_where_they_are_not_from_where_they_were_read(
    q: Queueing, since: str
) -> None:
    """Take-next moves its operator to busy from the status it read at its start, in one
    statement; on SQLite that read is outside the transaction, so a pause or a sign-out may
    come between. The move then starts from what is there now: a signed-out operator stays out."""
    q.log_in("op-raced", Region.VAST)
    read = OperatorOnDuty(OperatorStatus.READY, Region.VAST, [], False, False)
    if since == "paused":
        q.operators.pause("op-raced", PauseReason.RAST, NOW)
    else:
        q.operators.log_out("op-raced", NOW)
    told_before = len(q.events())
    with q.db.transaction() as tx:
        move_known_presence(tx, "op-raced", read, OperatorStatus.BUSY, NOW)
    with Session(q.db.engine) as session:
        operator = session.get(Operator, "op-raced")
    assert operator is not None
    told = [e for e in q.events()[told_before:] if e["event_type"] == "OperatorPresenceChanged"]
    if since == "paused":  # what reporting hears: from paused back to available
        assert operator.status == OperatorStatus.BUSY.value
        assert [e["status"] for e in told] == ["available"]
    else:
        assert operator.status == OperatorStatus.SIGNED_OUT.value
        assert told == []
