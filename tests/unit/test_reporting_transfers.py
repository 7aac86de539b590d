"""How reporting counts a transferred call (docs/services/queueing.md, *Transfers*): each queue
the call waits in counts that wait; the Transferred event itself counts no call, only the
first operator's handling time. Driven by queueing's own transfer rules (handover.py)."""

from datetime import timedelta

from schemas import Answered, NeedCategory, Region
from services.queueing.contact import Contact
from services.queueing.domain import QueuePolicy
from services.queueing.handover import TransferOrder, transfer
from services.reporting.state import RegionMeta, RegionState
from services.reporting.window import DictBuckets, WindowConfig, counts_for
from tests.queueing_contacts import NOW, classified

CONFIG = WindowConfig()
ALWAYS_OPEN = QueuePolicy.build("", "queue", CONFIG.policy)


def take(contact: Contact, operator_id: str) -> None:
    """Take-next's assignment, as the repository applies it."""
    for name, value in Contact.assignment(operator_id, None, NOW).items():
        setattr(contact, name, value)


def test_a_transferred_call_counts_once_in_each_queue_it_waits_in() -> None:
    arrival = Contact.arrive(classified(Region.VAST, waited=60), ALWAYS_OPEN, NOW, None)
    contact = arrival.contact
    assert contact is not None
    answered_at = NOW + timedelta(seconds=5)
    take(contact, "op-vast")
    first_answer = contact.answer("op-vast", Region.VAST, answered_at)
    handed_at = answered_at + timedelta(seconds=120)
    order = TransferOrder("queue", NeedCategory.URGENT, Region.SYD)

    handover = transfer(contact, "op-vast", order, ALWAYS_OPEN, handed_at)

    vast = RegionState(RegionMeta(), DictBuckets(), CONFIG)
    for event in (arrival.event, first_answer, handover.transferred):
        vast.apply(event)
    syd = RegionState(RegionMeta(), DictBuckets(), CONFIG)
    syd.apply(handover.then)
    assert counts_for(handover.transferred, CONFIG) == [], "a transfer is not a call"
    assert (vast.window().offered, vast.window().answered_within) == (1, 1)
    assert vast.handling() == 120.0, "the first operator's work up to the transfer"
    assert (syd.window().offered, syd.window().answered_within) == (1, 0)
    # Syd's wait runs from the transfer, not from the citizen's first call.
    take(contact, "op-syd")
    answered_in_syd = contact.answer("op-syd", Region.SYD, handed_at + timedelta(seconds=30))
    assert isinstance(answered_in_syd, Answered)
    assert answered_in_syd.wait_seconds == 30.0
    syd.apply(answered_in_syd)
    assert syd.window().answered_within == 1
