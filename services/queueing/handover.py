"""Handing a contact on, free of I/O: the rules of a transfer (the operator who answered it
sends it to another queue, another region's queue or 112) and of a supervisor's moves of a
waiting contact (another queue, a higher priority).

A transfer to a queue starts a new wait there: the contact waits again, received at the
transfer (that wait is what the receiving queue's service level counts, docs/services/
queueing.md), yet it is ranked from its first receipt, so a citizen who has already waited
and talked does not go to the back of the line. A transfer to 112 ends the contact.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from schemas import ContactResolved, NeedCategory, Queued, QueueName, Region, Transferred
from services.queueing.contact import Contact
from services.queueing.domain import (
    AGING_STEP,
    ContactStatus,
    Forbidden,
    IllegalMove,
    Outcome,
    QueueError,
    QueuePolicy,
    rank_time,
)

Destination = Literal["queue", "112"]
# Where a need category waits, and at which priority, unless the operator names them.
DEFAULT_QUEUE = {
    NeedCategory.URGENT: QueueName.URGENT,
    NeedCategory.CASE_HELP: QueueName.CRIME_REPORT,
    NeedCategory.INFORMATION: QueueName.SWITCHBOARD,
}
DEFAULT_PRIORITY = {NeedCategory.URGENT: 2, NeedCategory.CASE_HELP: 3, NeedCategory.INFORMATION: 4}


@dataclass(frozen=True)
class TransferOrder:
    """What the operator asks: 112, or a queue (region and queue default to the contact's
    region and the category's queue; priority to the category's)."""

    destination: Destination
    category: NeedCategory = NeedCategory.EMERGENCY
    region: Region | None = None
    queue: QueueName | None = None
    priority: int | None = None


@dataclass(frozen=True)
class Handover:
    """A transfer decided: its event, and what else it publishes (the new wait's `Queued`,
    or the `ContactResolved` of a contact handed to 112)."""

    transferred: Transferred
    then: Queued | ContactResolved


def transfer(
    contact: Contact, operator_id: str, order: TransferOrder, policy: QueuePolicy, now: datetime
) -> Handover:
    """Moves the answered contact the operator holds (changing `contact` in place)."""
    if contact.operator_id != operator_id:
        raise Forbidden("this contact is not assigned to you")
    if contact.status == ContactStatus.ASSIGNED:
        raise IllegalMove("answer the contact before transferring it")
    if contact.status != ContactStatus.ANSWERED:
        raise IllegalMove(f"contact is {contact.status.value}; only an answered one is transferred")
    handled = max(0.0, (now - contact.answered_at).total_seconds()) if contact.answered_at else 0.0
    about: dict[str, Any] = {
        "occurred_at": now,
        "contact_id": contact.contact_id,
        "region": contact.region,
        "channel": contact.channel,
        "from_queue": contact.queue,
        "from_category": contact.category,
        "received_at": contact.received_at,
        "operator_id": operator_id,
        "handling_seconds": handled,
    }
    if order.destination == "112":
        transferred = Transferred(
            **about,
            destination="112",
            category=NeedCategory.EMERGENCY,
            to_region=None,
            to_queue=None,
            priority=None,
        )
        resolved = contact.resolve(operator_id, Outcome.REDIRECTED_TO_112, now)[-1]
        assert isinstance(resolved, ContactResolved)
        return Handover(transferred, resolved)
    return _to_queue(contact, order, about, policy, now)


def _to_queue(
    contact: Contact,
    order: TransferOrder,
    about: dict[str, Any],
    policy: QueuePolicy,
    now: datetime,
) -> Handover:
    """The contact waits again, in the queue the order names."""
    region, queue, priority = _destination(contact, order, policy, now)
    transferred = Transferred(
        **about,
        destination="queue",
        category=order.category,
        to_region=region,
        to_queue=queue,
        priority=priority,
    )
    first_received = contact.received_at
    contact.region, contact.queue, contact.category = region, queue, order.category
    contact.priority, contact.received_at = priority, now
    contact.rank_at = rank_time(first_received, priority, contact.possible_emergency)
    contact.status, contact.operator_id, contact.order_id = ContactStatus.WAITING, None, None
    contact.assigned_at = contact.answered_at = None
    queued = Queued(
        event_id=uuid.uuid5(transferred.event_id, Queued.EVENT_TYPE),
        occurred_at=now,
        contact_id=contact.contact_id,
        region=region,
        queue=queue,
        channel=contact.channel,
        category=order.category,
        priority=priority,
        received_at=now,
        possible_emergency=contact.possible_emergency,
    )
    return Handover(transferred, queued)


def _destination(
    contact: Contact, order: TransferOrder, policy: QueuePolicy, now: datetime
) -> tuple[Region, QueueName, int]:
    if order.category == NeedCategory.EMERGENCY:
        raise QueueError("an emergency (Nöd) is transferred to 112, not to a queue")
    region = order.region or contact.region
    queue = order.queue or DEFAULT_QUEUE[order.category]
    if (region, queue) == (contact.region, contact.queue):
        raise QueueError("the contact is in that queue already: name another queue or region")
    if not policy.is_open(queue, now):
        raise QueueError(f"the {queue.value} queue is closed now")
    return region, queue, order.priority or DEFAULT_PRIORITY[order.category]


def check_waiting(contact: Contact) -> None:
    """A supervisor moves or raises only a contact nobody has taken yet."""
    if contact.status != ContactStatus.WAITING:
        raise IllegalMove(f"contact is {contact.status.value}; only a waiting one is moved")


def move(contact: Contact, queue: QueueName) -> None:
    """A supervisor puts a waiting contact in another queue of its region (its place by rank
    is kept: the rank time does not change)."""
    check_waiting(contact)
    if queue == contact.queue:
        raise QueueError(f"the contact is in the {queue.value} queue already")
    contact.queue = queue


def raise_priority(contact: Contact, priority: int) -> None:
    """A supervisor makes a waiting contact more urgent (1 is the most urgent): it is ranked
    as if it had arrived with that priority (AGING_STEP earlier per level)."""
    check_waiting(contact)
    if priority >= contact.priority:
        raise QueueError(f"priority {priority} is not above the contact's {contact.priority}")
    contact.rank_at -= (contact.priority - priority) * AGING_STEP
    contact.priority = priority
