"""The contact repository's contract, written once and run on SQLite and on PostgreSQL (the
`database_url` fixture): what is stored comes back the same, the one-statement moves pick and
change only what they may, a stale save is refused, and a consumed event's record commits or
rolls back together with the outbox events of its effect."""

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from domain.service_level import NATIONAL
from schemas import NeedCategory, QueueName, Region
from services.queueing.contact import Contact
from services.queueing.domain import (
    ContactStatus,
    OperatorOnDuty,
    OperatorStatus,
    QueueError,
    QueuePolicy,
)
from services.queueing.repository import ContactRepository
from services.queueing.store import QueueDb
from services.queueing.tables import Operator, OutboxRecord
from services.shared.db import make_engine
from tests.queueing_contacts import NOW, classified

POLICY = QueuePolicy.build("", "close", NATIONAL)
ALL_QUEUES = [q.value for q in QueueName]


@pytest.fixture
def db(database_url: str) -> Iterator[QueueDb]:
    store = QueueDb(make_engine(database_url, pool_size=4))
    yield store
    store.engine.dispose()


def arrived(
    region: Region = Region.VAST,
    waited: float = 60,
    priority: int = 3,
    category: NeedCategory = NeedCategory.CASE_HELP,
) -> Contact:
    event = classified(region, priority, waited, category)
    contact = Contact.arrive(event, POLICY, NOW, traceparent="00-abc-def-01").contact
    assert contact is not None
    return contact


def stored(db: QueueDb, *contacts: Contact) -> None:
    with db.transaction() as tx:
        for contact in contacts:
            tx.contacts.add(contact)


def claim(db: QueueDb, operator_id: str, region: Region, lent: bool = False) -> Contact | None:
    with db.transaction() as tx:
        assignment = Contact.assignment(operator_id, None, NOW)
        return tx.contacts.claim_next(region, ALL_QUEUES, assignment, longest_waiting=lent)


def test_a_stored_contact_comes_back_as_it_was(db: QueueDb) -> None:
    contact = arrived()
    stored(db, contact)
    with db.transaction() as tx:
        assert tx.contacts.get(contact.contact_id) == contact
        assert tx.contacts.get(uuid.uuid4()) is None


def test_a_claim_takes_the_best_ranked_waiting_contact_of_the_region_once(db: QueueDb) -> None:
    fresh_tip = arrived(priority=1, waited=10)
    old_question = arrived(priority=5, waited=20 * 60)
    elsewhere = arrived(Region.NORD, waited=3600)
    stored(db, fresh_tip, old_question, elsewhere)
    first = claim(db, "op-1", Region.VAST)
    assert first is not None
    assert first.contact_id == old_question.contact_id
    assert (first.status, first.operator_id, first.assigned_at) == (
        ContactStatus.ASSIGNED,
        "op-1",
        NOW,
    )
    second = claim(db, "op-2", Region.VAST)
    assert second is not None
    assert second.contact_id == fresh_tip.contact_id
    assert claim(db, "op-3", Region.VAST) is None, "the region's queue is empty"


def test_a_lent_operator_claims_the_longest_waiting_contact(db: QueueDb) -> None:
    urgent, oldest = arrived(priority=1, waited=60), arrived(priority=5, waited=300)
    stored(db, urgent, oldest)
    taken = claim(db, "lent", Region.VAST, lent=True)
    assert taken is not None
    assert taken.contact_id == oldest.contact_id


def test_a_claim_takes_only_the_operators_queues(db: QueueDb) -> None:
    stored(db, arrived(category=NeedCategory.URGENT))
    with db.transaction() as tx:
        assignment = Contact.assignment("op", None, NOW)
        other_queue = [QueueName.CRIME_REPORT.value]
        assert tx.contacts.claim_next(Region.VAST, other_queue, assignment, False) is None


def test_only_the_holder_answers_and_a_refused_answer_changes_nothing(db: QueueDb) -> None:
    stored(db, arrived())
    contact = claim(db, "holder", Region.VAST)
    assert contact is not None
    answering = Contact.answering(NOW)
    with db.transaction() as tx:
        assert tx.contacts.answer_held(contact.contact_id, "other", answering) is None
    with db.transaction() as tx:
        held = tx.contacts.answer_held(contact.contact_id, "holder", answering)
    assert held is not None
    answered, called_back = held
    assert not called_back
    assert (answered.status, answered.answered_at) == (ContactStatus.ANSWERED, NOW)
    with db.transaction() as tx:
        assert tx.contacts.answer_held(contact.contact_id, "holder", answering) is None
        again = tx.contacts.get(contact.contact_id)
    assert again == answered


def on_duty(db: QueueDb, operator_id: str) -> None:
    """An operator wrapping up their last contact since an hour ago: they may take the next."""
    with Session(db.engine) as session:
        row = Operator(
            operator_id=operator_id,
            region=Region.VAST.value,
            skills="crime_report,lost_property",
            logged_in_at=NOW - timedelta(hours=2),
        )
        row.status = OperatorStatus.WRAP_UP.value
        row.status_since, row.wrap_up_until = NOW - timedelta(hours=1), NOW + timedelta(seconds=30)
        session.add(row)
        session.commit()


def operator_row(db: QueueDb, operator_id: str) -> tuple[object, ...]:
    with Session(db.engine) as session:
        row = session.get(Operator, operator_id)
        assert row is not None
        since = row.status_since.replace(tzinfo=None) if row.status_since else None
        until = row.wrap_up_until.replace(tzinfo=None) if row.wrap_up_until else None
        return (row.status, row.region, row.skills, row.pause_reason, since, until)


UNMOVED = (
    OperatorStatus.WRAP_UP.value,
    Region.VAST.value,
    "crime_report,lost_property",
    None,
    (NOW - timedelta(hours=1)).replace(tzinfo=None),
    (NOW + timedelta(seconds=30)).replace(tzinfo=None),
)


@pytest.mark.parametrize(
    "read", ["as they are", "paused since", "in another region since"], ids=str
)
def test_a_claim_as_busy_moves_its_operator_only_from_what_was_read(db: QueueDb, read: str) -> None:
    """Take-next's claim on PostgreSQL moves its operator to busy in the same statement, from
    the status and region it read them in, and writes what any move of theirs writes; nothing
    else of theirs changes. On SQLite (and when they moved since the read) it claims alone, and
    says so: the caller moves them."""
    waiting = arrived()
    stored(db, waiting)
    on_duty(db, "op")
    status = OperatorStatus.PAUSED if read == "paused since" else OperatorStatus.WRAP_UP
    region = Region.SYD if read == "in another region since" else Region.VAST
    with db.transaction() as tx:
        contact, moved = tx.contacts.claim_next_as_busy(
            Region.VAST,
            ALL_QUEUES,
            Contact.assignment("op", None, NOW),
            False,
            ALL_QUEUES,
            OperatorOnDuty(status, region, ALL_QUEUES, False, False),
        )
    assert contact is not None
    assert contact.contact_id == waiting.contact_id
    postgres = db.engine.dialect.name == "postgresql"
    assert moved == (postgres and read == "as they are")
    busy = (OperatorStatus.BUSY.value, *UNMOVED[1:3], None, NOW.replace(tzinfo=None), None)
    assert operator_row(db, "op") == (busy if moved else UNMOVED)


def test_a_claim_as_busy_with_no_contact_waiting_leaves_its_operator_as_they_are(
    db: QueueDb,
) -> None:
    on_duty(db, "op")
    read = OperatorOnDuty(OperatorStatus.WRAP_UP, Region.VAST, ALL_QUEUES, False, False)
    with db.transaction() as tx:
        assignment = Contact.assignment("op", None, NOW)
        nothing = tx.contacts.claim_next_as_busy(
            Region.VAST, ALL_QUEUES, assignment, False, ALL_QUEUES, read
        )
    assert nothing == (None, False)
    assert operator_row(db, "op") == UNMOVED


def test_a_save_is_refused_when_the_row_moved_since_it_was_loaded(db: QueueDb) -> None:
    contact = arrived()
    stored(db, contact)
    with db.transaction() as tx:
        loaded = tx.contacts.get(contact.contact_id)
        assert loaded is not None
        # Someone else (another repository on the row) assigns it meanwhile.
        other = ContactRepository(tx.session, lock_rows=False)
        assignment = Contact.assignment("op", None, NOW)
        assert other.claim_next(Region.VAST, ALL_QUEUES, assignment, False) is not None
        loaded.abandon("hung_up", NOW)  # legal from what was loaded (waiting), not from now
        with pytest.raises(QueueError, match="changed meanwhile"):
            tx.contacts.save(loaded)


def test_held_and_overdue_contacts_are_found_and_their_moves_saved(db: QueueDb) -> None:
    held, overdue, recent = arrived(waited=60), arrived(waited=3600), arrived(waited=30)
    stored(db, held, overdue, recent)
    with db.transaction() as tx:
        tx.contacts.claim_next(Region.VAST, ALL_QUEUES, Contact.assignment("op", None, NOW), True)
    with db.transaction() as tx:
        (holding,) = tx.contacts.held_by("op")
        assert holding.contact_id == overdue.contact_id
        holding.release()
        tx.contacts.save(holding)
    with db.transaction() as tx:
        assert tx.contacts.held_by("op") == []
        late = tx.contacts.overdue(NOW - timedelta(minutes=45))
        assert [c.contact_id for c in late] == [overdue.contact_id]
        late[0].abandon("timeout", NOW)
        tx.contacts.save(late[0])
    with db.reading() as contacts:
        ((queue, count, oldest, flagged),) = contacts.waiting(Region.VAST)
    assert (queue, count, flagged) == (QueueName.CRIME_REPORT.value, 2, 0)
    assert oldest == held.received_at


def test_a_consumed_event_is_recorded_with_its_effect_or_not_at_all(db: QueueDb) -> None:
    event_id = uuid.uuid4()

    def fail_half_way() -> None:
        with db.transaction() as tx:
            assert tx.contacts.first_delivery(event_id)
            tx.emit(arrived().abandon("hung_up", NOW))
            raise RuntimeError("the effect failed half-way")

    with pytest.raises(RuntimeError):
        fail_half_way()
    with db.transaction() as tx:
        assert tx.contacts.first_delivery(event_id), "rolled back with the failed effect"
        tx.emit(arrived().abandon("hung_up", NOW))
    with db.transaction() as tx:
        assert not tx.contacts.first_delivery(event_id), "a redelivery"
    with Session(db.engine) as session:
        assert len(session.exec(select(OutboxRecord)).all()) == 1
