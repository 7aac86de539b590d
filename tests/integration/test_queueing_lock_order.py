"""An operator's action and their open desk lock the same two rows, the operator's and the
contact's, and must lock them in the same order (operator first), or PostgreSQL aborts one of
them as a deadlock: the operator's accept or outcome then failed with a 500 while their desk
was open (found by `python -m bench offers`, 50 desks on PostgreSQL); so did a transfer, a
pause, a sign-out (their own, a takeover's or a supervisor's) with an offer on the desk, and a
caller's hang-up while their contact was offered.

The test holds the operator's row as the desk's read does, waits until the move is blocked
behind it, then takes the desk's next step (its offer or held contact, locked): both must
finish. SQLite runs one writing transaction at a time, so this is PostgreSQL's alone.
"""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy

from pkc.polling import poll
from schemas import NeedCategory, QueueName, Region
from services.queueing.bootstrap import Queueing, build_core
from services.queueing.contact import Contact
from services.queueing.domain import Actor, ContactStatus, OperatorStatus, Outcome
from services.queueing.handover import TransferOrder
from services.queueing.operators import held_by, offered_to, set_status
from services.queueing.presence import PauseReason
from services.queueing.settings import QueueingSettings
from services.queueing.store import Tx
from services.queueing.tables import Operator
from tests.queueing_contacts import NOW, classified

REGION = Region.VAST
OPERATOR = "lock-order-operator"
SUPERVISOR = Actor("lock-order-supervisor", "lock-order-supervisor")
DEADLINE = 10.0


def _blocked_on_a_lock(engine: sqlalchemy.Engine) -> bool:
    query = sqlalchemy.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as connection:
        return bool(connection.execute(query).scalar())


Act = Callable[[Queueing, Operator, uuid.UUID], object]


def _holding(core: Queueing, operator: Operator, contact_id: uuid.UUID) -> None:
    """The offer accepted and answered: the operator holds the contact."""
    core.offers.accept(operator, contact_id, NOW)
    core.contacts.answer(operator, contact_id, NOW)


@dataclass(frozen=True)
class Move:
    act: Act
    holding: bool = False  # the move needs the contact held (answered), not on offer

    def desks_next_step(self, tx: Tx, operator_id: str) -> object:
        """What the open desk locks after the operator's row: its offer or held contact."""
        return held_by(tx, operator_id) if self.holding else offered_to(tx, operator_id)


MOVES = {
    "accept": Move(lambda core, op, c: core.offers.accept(op, c, NOW)),
    "reject": Move(lambda core, op, c: core.offers.reject(op, c, NOW)),
    "outcome": Move(
        lambda core, op, c: core.contacts.resolve(op, c, Outcome.INFORMATION_GIVEN, NOW),
        holding=True,
    ),
    "transfer": Move(
        lambda core, op, c: core.transfers.transfer(
            op, c, TransferOrder("queue", NeedCategory.INFORMATION), NOW
        ),
        holding=True,
    ),
    "hang-up": Move(lambda core, op, c: core.contacts.abandon(c, NOW, "hung_up")),
    "pause": Move(lambda core, op, c: core.operators.pause(OPERATOR, PauseReason.RAST, NOW)),
    "sign-out": Move(lambda core, op, c: core.operators.log_out(OPERATOR, NOW)),
    "takeover": Move(
        lambda core, op, c: core.operators.sign_in(Actor(OPERATOR, OPERATOR), REGION, [], True, NOW)
    ),
    "forced sign-out": Move(
        lambda core, op, c: core.supervision.sign_out(SUPERVISOR, lambda _: True, OPERATOR, NOW)
    ),
}


@pytest.mark.parametrize("name", list(MOVES))
def test_an_operators_move_does_not_deadlock_with_their_open_desk(
    postgres_url: str, name: str
) -> None:
    move = MOVES[name]
    core = build_core(QueueingSettings(database_url=postgres_url, wrap_up_seconds=0))
    core.contacts.enqueue(classified(REGION), NOW)
    operator = core.operators.sign_in(Actor(OPERATOR, OPERATOR), REGION, [], False, NOW)
    desk = core.offers.desk(OPERATOR, NOW)
    assert desk is not None
    assert desk.offer is not None
    contact_id: uuid.UUID = desk.offer.contact_id
    if move.holding:
        _holding(core, operator, contact_id)
    failures: list[BaseException] = []

    def act() -> None:
        try:
            move.act(core, operator, contact_id)
        except BaseException as failure:
            failures.append(failure)

    acting = threading.Thread(target=act)
    with core.db.transaction() as tx:  # the desk's read, as Offers.desk begins it
        tx.session.get(Operator, OPERATOR, with_for_update=True)
        acting.start()
        poll(lambda: _blocked_on_a_lock(core.db.engine), f"the {name} to wait", timeout=DEADLINE)
        move.desks_next_step(tx, OPERATOR)
    acting.join(DEADLINE)
    assert not acting.is_alive(), f"the {name} is still blocked"
    assert failures == [], failures
    core.db.engine.dispose()


def test_a_hang_up_racing_the_offer_of_its_contact_frees_the_operator(postgres_url: str) -> None:
    """The hang-up reads whom the contact is offered to (nobody: it waits), and a desk offers
    it before the hang-up has its row: the hang-up starts again, locking that operator first,
    and their desk is freed of the vanished offer."""
    core = build_core(QueueingSettings(database_url=postgres_url, wrap_up_seconds=0))
    waiting = classified(REGION)
    core.contacts.enqueue(waiting, NOW)
    core.operators.sign_in(Actor(OPERATOR, OPERATOR), REGION, [], False, NOW)
    contact_id = waiting.contact_id
    failures: list[BaseException] = []

    def hang_up() -> None:
        try:
            core.contacts.abandon(contact_id, NOW, "hung_up")
        except BaseException as failure:
            failures.append(failure)

    hanging_up = threading.Thread(target=hang_up)
    with core.db.transaction() as tx:  # a desk reserving the contact, as Offers.desk does
        row = tx.lock_operator(OPERATOR)
        assert row is not None
        assert tx.contacts.get(contact_id) is not None  # locked while it still waits
        hanging_up.start()
        poll(lambda: _blocked_on_a_lock(core.db.engine), "the hang-up to wait", timeout=DEADLINE)
        offer = Contact.assignment(OPERATOR, None, NOW, offer=True)
        skills = [q.value for q in QueueName]
        assert tx.contacts.claim_next(REGION, skills, offer, False) is not None
        set_status(tx, row, OperatorStatus.OFFERED, None, NOW)
    hanging_up.join(DEADLINE)
    assert not hanging_up.is_alive(), "the hang-up is still blocked"
    assert failures == [], failures
    # Read as it is, not through the desk (whose read would make them ready itself).
    operator = core.operators.on_duty(OPERATOR)
    assert operator is not None
    assert OperatorStatus(operator.status) == OperatorStatus.READY
    with core.db.reading() as contacts:
        abandoned = contacts.get(contact_id)
    assert abandoned is not None
    assert abandoned.status == ContactStatus.ABANDONED
    core.db.engine.dispose()
