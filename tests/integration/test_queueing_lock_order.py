"""An operator's action and their open desk lock the same two rows, the operator's and the
contact's, and must lock them in the same order (operator first), or PostgreSQL aborts one of
them as a deadlock: the operator's accept or outcome then failed with a 500 while their desk
was open (found by `python -m bench offers`, 50 desks on PostgreSQL).

The test holds the operator's row as the desk's read does, waits until the action is blocked
behind it, then takes the desk's next step (its offer or held contact, locked): both must
finish. SQLite runs one writing transaction at a time, so this is PostgreSQL's alone.
"""

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy

from pkc.polling import poll
from schemas import Region
from services.queueing.bootstrap import build_core
from services.queueing.domain import Actor, Outcome
from services.queueing.operators import held_by, offered_to
from services.queueing.settings import QueueingSettings
from services.queueing.store import Tx
from services.queueing.tables import Operator
from tests.conftest import fresh_database
from tests.queueing_contacts import NOW, classified

REGION = Region.VAST
OPERATOR = "lock-order-operator"
DEADLINE = 10.0


@pytest.fixture
def postgres_url(postgres_server: str | None) -> Iterator[str]:
    if postgres_server is None:
        pytest.skip("no PostgreSQL on this machine (CI installs it; or set PKC_TEST_POSTGRES_URL)")
    with fresh_database(postgres_server) as url:
        yield url


def _blocked_on_a_lock(engine: sqlalchemy.Engine) -> bool:
    query = sqlalchemy.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as connection:
        return bool(connection.execute(query).scalar())


@pytest.mark.parametrize("move", ["accept", "outcome"])
def test_an_operators_move_does_not_deadlock_with_their_open_desk(
    postgres_url: str, move: str
) -> None:
    core = build_core(QueueingSettings(database_url=postgres_url, wrap_up_seconds=0))
    core.contacts.enqueue(classified(REGION), NOW)
    operator = core.operators.sign_in(Actor(OPERATOR, OPERATOR), REGION, [], False, NOW)
    desk = core.offers.desk(OPERATOR, NOW)
    assert desk is not None
    assert desk.offer is not None
    contact_id: uuid.UUID = desk.offer.contact_id
    desks_next_step: Callable[[Tx, str], object] = offered_to  # the offer on the desk

    def action() -> None:
        if move == "accept":
            core.offers.accept(operator, contact_id, NOW)
        else:
            core.contacts.resolve(operator, contact_id, Outcome.INFORMATION_GIVEN, NOW)

    if move == "outcome":
        core.offers.accept(operator, contact_id, NOW)
        core.contacts.answer(operator, contact_id, NOW)
        desks_next_step = held_by  # the contact the operator holds
    failures: list[BaseException] = []

    def act() -> None:
        try:
            action()
        except BaseException as failure:
            failures.append(failure)

    acting = threading.Thread(target=act)
    with core.db.transaction() as tx:  # the desk's read, as Offers.desk begins it
        tx.session.get(Operator, OPERATOR, with_for_update=True)
        acting.start()
        poll(lambda: _blocked_on_a_lock(core.db.engine), f"the {move} to wait", timeout=DEADLINE)
        desks_next_step(tx, OPERATOR)
    acting.join(DEADLINE)
    assert not acting.is_alive(), f"the {move} is still blocked"
    assert failures == [], failures
    core.db.engine.dispose()
