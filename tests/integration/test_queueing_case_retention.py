"""What the cases keep, for how long (docs/cases.md), on real SQLite and PostgreSQL: the
citizen's words only as long as the contact they became, a closed case for its retention; and
information sent while the case's queue turns contacts away is refused with nothing kept."""

import uuid
from datetime import timedelta

from sqlmodel import Session, select

from schemas import CaseCreated, MatterType, Region
from services.queueing.bootstrap import Queueing, build_core
from services.queueing.cases.tables import CaseInformationRow, CaseRow
from services.queueing.domain import Actor
from services.queueing.retention import Retention, purge
from services.queueing.settings import QueueingSettings
from tests.queueing_contacts import NOW

KEEP = Retention(entries=timedelta(days=30), outbox=timedelta(days=7), audit=timedelta(days=365))
STAFF = Actor("sup", "sup-subject")


def core_on(url: str, closed_outcome: str = "queue") -> Queueing:
    settings = QueueingSettings(database_url=url, closed_outcome=closed_outcome)
    return build_core(settings)


def opened(core: Queueing, region: Region = Region.MITT) -> CaseCreated:
    case_id = uuid.uuid4()
    created = CaseCreated(
        occurred_at=NOW,
        case_id=case_id,
        contact_id=uuid.uuid4(),
        region=region,
        case_number=f"K{case_id.int % 10**7:07d}-26",
        matter=MatterType.THEFT,
        created_by="operator",
    )
    assert core.cases.cases.record(created)
    assert not core.cases.cases.record(created), "a redelivery keeps nothing twice"
    return created


def words_kept(core: Queueing) -> list[str]:
    with Session(core.db.engine) as session:
        return [row.text for row in session.exec(select(CaseInformationRow))]


def test_the_citizens_words_go_with_their_contact_and_a_closed_case_with_its_time(
    database_url: str,
) -> None:
    core = core_on(database_url)
    case, other = opened(core), opened(core)
    secret = core.cases.cases.secret(case.case_id)
    core.cases.citizens.add_information(case.case_number, secret, "min cykel är blå", NOW)
    (contact_id,) = [
        e.contact_id for e in core.cases.cases.find(str(case.case_id)).history if e.contact_id
    ]
    assert core.cases.cases.purge(NOW)["information"] == 0, "kept while its contact waits"
    assert words_kept(core) == ["min cykel är blå"]

    later = NOW + timedelta(days=1)
    core.contacts.abandon(contact_id, later, "hung_up")  # the contact ends
    purge(core.db, later + timedelta(days=31), KEEP)  # and queueing forgets it in time
    assert core.cases.cases.purge(later + timedelta(days=31))["information"] == 1
    assert words_kept(core) == []
    rows, words = core.cases.cases.staff_history(case.case_id)
    assert [row.kind for row in rows] == ["created", "information"], "the history stays"
    assert words == {}

    core.cases.cases.close(STAFF, str(case.case_id), "handled", NOW)
    assert core.cases.cases.purge(NOW + timedelta(days=89))["cases"] == 0
    assert core.cases.cases.purge(NOW + timedelta(days=91))["cases"] == 1
    with Session(core.db.engine) as session:
        assert [row.case_id for row in session.exec(select(CaseRow))] == [other.case_id]


def test_information_sent_while_the_queue_turns_calls_away_waits_for_the_opening(
    database_url: str,
) -> None:
    """The citizen's information is a written contact (e-service): a queue that turns calls
    away while closed keeps it waiting for the next opening (docs/queues.md)."""
    core = core_on(database_url, closed_outcome="close")
    case = opened(core)
    secret = core.cases.cases.secret(case.case_id)
    midnight = NOW.replace(hour=22)  # 00:00 in Stockholm: the queue is closed
    core.cases.citizens.add_information(case.case_number, secret, "hej", midnight)
    assert words_kept(core) == ["hej"]
    kinds = [e.kind for e in core.cases.cases.find(case.case_number).history]
    assert kinds == ["created", "information"]
