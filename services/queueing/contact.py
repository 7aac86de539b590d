"""A contact's life in the queue, as one state machine (no I/O):

    waiting -> assigned -> answered -> resolved
    waiting -> offered -> assigned           (a push offer, accepted on the desk)
    waiting | offered | assigned -> abandoned
    offered | assigned -> waiting            (rejected, timed out, or its operator left)

Each transition checks that it is legal from the current state, refuses with a typed error
(`IllegalMove`, `Forbidden`) when it is not, and returns the events the change publishes.
Storing the contact, and the events with it in one transaction, is the repository's job.
The hot path's moves (take-next, answer) are also data, `assignment` and `answering`, with
the states they start from (`ASSIGNABLE`, `ANSWERABLE`), for one guarded statement each: the
contact a take-next gets is chosen and assigned in one atomic step; an answer saves a round trip.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypedDict

from schemas import (
    Abandoned,
    Answered,
    CaseCreated,
    Channel,
    Classified,
    ContactResolved,
    MatterType,
    NeedCategory,
    Queued,
    QueueName,
    Region,
)
from schemas.envelope import Event
from services.queueing.domain import (
    ContactStatus,
    Forbidden,
    IllegalMove,
    Outcome,
    QueuePolicy,
    queue_for,
    rank_time,
    wait_seconds,
)
from services.shared.cases import case_number

AbandonReason = Literal["hung_up", "timeout", "callback_unanswered"]
ASSIGNABLE = ContactStatus.WAITING
ANSWERABLE = ContactStatus.ASSIGNED
_ABANDONABLE = (ContactStatus.WAITING, ContactStatus.OFFERED, ContactStatus.ASSIGNED)
_RELEASABLE = (ContactStatus.OFFERED, ContactStatus.ASSIGNED)


def _derived(cause: uuid.UUID, what: str) -> uuid.UUID:
    """An id derived from its cause, the same on every replay (runtime.derived_id's rule)."""
    return uuid.uuid5(cause, what)


class _About(TypedDict):
    """What every event about a contact says of it."""

    contact_id: uuid.UUID
    region: Region
    channel: Channel
    category: NeedCategory
    received_at: datetime


class _Waited(_About):
    occurred_at: datetime
    wait_seconds: float


@dataclass(frozen=True)
class Arrival:
    """A classified contact's arrival: the contact now waiting (None: turned away, its queue
    closed) and the event that says so."""

    contact: "Contact | None"
    event: Queued | Abandoned


@dataclass
class Contact:
    contact_id: uuid.UUID
    region: Region
    queue: QueueName
    channel: Channel
    category: NeedCategory
    matter: MatterType
    priority: int
    received_at: datetime
    rank_at: datetime
    status: ContactStatus = ContactStatus.WAITING
    outside_service_hours: bool = False
    possible_emergency: bool = False  # triage's flag: it jumps its queue
    low_confidence: bool = False  # triage was unsure (or could not read the text): read it
    # Triage's why, for the desk's card; confidence: the model's P(category), None unweighed.
    e_service: str | None = None
    decided_by: str = "rules"
    rule_id: str | None = None
    confidence: float | None = None
    operator_id: str | None = None
    order_id: uuid.UUID | None = None  # the reinforcement order it was assigned under
    assigned_at: datetime | None = None
    answered_at: datetime | None = None
    abandoned_at: datetime | None = None
    outcome: Outcome | None = None
    case_number: str | None = None
    traceparent: str | None = None  # the trace the contact arrived in

    @classmethod
    def arrive(
        cls, classified: Classified, policy: QueuePolicy, now: datetime, traceparent: str | None
    ) -> Arrival:
        """A classified contact joins its queue. While it is closed a call is turned away (naming
        the next opening) or queued outside hours; a written contact waits for the opening."""
        queue = queue_for(classified)
        outside = not policy.is_open(queue, classified.received_at)
        contact = cls(
            contact_id=classified.contact_id,
            region=classified.region,
            queue=queue,
            channel=classified.channel,
            category=classified.category,
            matter=classified.matter,
            priority=classified.priority,
            received_at=classified.received_at,
            # Ranked by intake's receipt time, which no adapter can backdate; received_at
            # (the adapter's) stays the start of the wait shown and counted.
            rank_at=rank_time(
                classified.accepted_at or classified.received_at,
                classified.priority,
                classified.possible_emergency,
            ),
            outside_service_hours=outside,
            possible_emergency=classified.possible_emergency,
            low_confidence=classified.low_confidence,
            e_service=classified.e_service[:64] if classified.e_service else None,
            decided_by=classified.decided_by,
            rule_id=classified.rule_id[:64],
            confidence=classified.probabilities.get(classified.category),
            traceparent=traceparent,
        )
        if outside and policy.turns_away(classified.channel):
            closed = Abandoned(
                event_id=_derived(classified.event_id, Abandoned.EVENT_TYPE),
                **contact._waited(now, seconds=0.0),
                reason="closed",
                outside_service_hours=True,
                opens_at=policy.next_opening(queue, classified.received_at),
            )
            return Arrival(None, closed)
        queued = Queued(
            event_id=_derived(classified.event_id, Queued.EVENT_TYPE),
            occurred_at=now,
            **contact._about(),
            queue=queue,
            priority=classified.priority,
            outside_service_hours=outside,
            e_service_capable=classified.e_service_capable,
            possible_emergency=classified.possible_emergency,
        )
        return Arrival(contact, queued)

    # --- transitions -------------------------------------------------------------------------
    @staticmethod
    def assignment(
        operator_id: str, order_id: uuid.UUID | None, now: datetime, offer: bool = False
    ) -> dict[str, Any]:
        """Waiting -> assigned (take-next) or offered (a push offer, `assigned_at` then being
        when it was offered): what giving a waiting contact to one operator changes (under a
        reinforcement order when they are lent; no event). The repository applies it in the
        statement that picks the contact, so picking and assigning are one atomic step and no
        two operators ever get the same contact; that statement only matches `ASSIGNABLE`."""
        return {
            "status": ContactStatus.OFFERED if offer else ContactStatus.ASSIGNED,
            "operator_id": operator_id,
            "order_id": order_id,
            "assigned_at": now,
        }

    def accept(self, operator_id: str, now: datetime) -> None:
        """Offered -> assigned: the operator took the offer; it is theirs as take-next gives."""
        self._check_held_by(operator_id)
        if self.status != ContactStatus.OFFERED:
            raise IllegalMove(f"contact is {self.status.value}, not offered")
        self.status, self.assigned_at = ContactStatus.ASSIGNED, now

    def release(self) -> None:
        """Back to the queue in its old place (rank and waiting time kept): its offer was
        rejected or timed out, or its operator's session ended before an answer."""
        if self.status not in _RELEASABLE:
            raise IllegalMove(f"contact is {self.status.value}, not offered or assigned")
        self.status, self.operator_id, self.order_id, self.assigned_at = (
            ContactStatus.WAITING,
            None,
            None,
            None,
        )

    @staticmethod
    def answering(now: datetime) -> dict[str, Any]:
        """Assigned -> answered: what answering changes. The repository may make this move in
        one guarded statement (only `ANSWERABLE` contacts the operator holds) instead of
        loading the contact first; `answer` makes it on a contact in hand."""
        return {"status": ContactStatus.ANSWERED, "answered_at": now}

    def answer(self, operator_id: str, operator_region: Region, now: datetime) -> Answered:
        self.check_answerable(operator_id)
        self.status, self.answered_at = ContactStatus.ANSWERED, now
        return self.answered(operator_id, operator_region)

    def check_answerable(self, operator_id: str) -> None:
        """Refuses, saying why, unless this operator holds the contact unanswered."""
        self._check_held_by(operator_id)
        if self.status != ANSWERABLE:
            raise IllegalMove(f"contact is already {self.status.value}")

    def answered(self, operator_id: str, region: Region, callback: bool = False) -> Answered:
        """The event of this contact's answer (`callback`: reached by calling back)."""
        assert self.status == ContactStatus.ANSWERED
        assert self.answered_at is not None
        return Answered(
            **self._waited(self.answered_at),
            operator_id=operator_id,
            operator_region=region,
            callback=callback,
        )

    def resolve(self, operator_id: str, outcome: Outcome, now: datetime) -> list[Event]:
        """The outcome of an answered contact; a filed report opens a case first."""
        self._check_held_by(operator_id)
        if self.status == ContactStatus.ASSIGNED:
            raise IllegalMove("answer the contact before recording its outcome")
        if self.status != ContactStatus.ANSWERED:
            raise IllegalMove(
                f"contact is {self.status.value}; an outcome needs an answered contact"
            )
        events: list[Event] = []
        case_id = None
        if outcome == Outcome.REPORT_FILED:
            case_id = _derived(self.contact_id, "case")
            self.case_number = case_number(case_id, now.year)
            events.append(self._case_created(case_id, now))
        handled = (now - self.answered_at).total_seconds() if self.answered_at else None
        self.status, self.outcome = ContactStatus.RESOLVED, outcome
        resolved = ContactResolved(
            occurred_at=now,
            contact_id=self.contact_id,
            region=self.region,
            operator_id=operator_id,
            outcome=outcome.value,
            case_id=case_id,
            handling_seconds=max(0.0, handled) if handled is not None else None,
        )
        return [*events, resolved]

    def abandon(self, reason: AbandonReason, now: datetime) -> Abandoned:
        """The caller hung up, or waited past the longest wait, before an answer."""
        if self.status not in _ABANDONABLE:
            raise IllegalMove(f"contact is already {self.status.value}")
        self.status, self.abandoned_at = ContactStatus.ABANDONED, now
        waited = self._waited(now)
        return Abandoned(**waited, reason=reason, outside_service_hours=self.outside_service_hours)

    # --- helpers -----------------------------------------------------------------------------
    def _waited(self, now: datetime, seconds: float | None = None) -> "_Waited":
        """What an answer or abandonment says: the contact, and its wait (`seconds` or till now)."""
        return _Waited(
            **self._about(),
            occurred_at=now,
            wait_seconds=wait_seconds(self.received_at, now) if seconds is None else seconds,
        )

    def _about(self) -> _About:
        return _About(
            contact_id=self.contact_id,
            region=self.region,
            channel=self.channel,
            category=self.category,
            received_at=self.received_at,
        )

    def _check_held_by(self, operator_id: str) -> None:
        if self.operator_id != operator_id:
            raise Forbidden("this contact is not assigned to you")

    def _case_created(self, case_id: uuid.UUID, now: datetime) -> CaseCreated:
        assert self.case_number is not None
        return CaseCreated(
            event_id=_derived(self.contact_id, CaseCreated.EVENT_TYPE),
            occurred_at=now,
            case_id=case_id,
            contact_id=self.contact_id,
            region=self.region,
            case_number=self.case_number,
            matter=self.matter,
            created_by="operator",
        )
