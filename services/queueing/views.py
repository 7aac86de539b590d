"""What queueing's HTTP API takes and gives: request and response bodies."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas import DonorLoan, QueueName, Region
from services.queueing.contact import Contact
from services.queueing.domain import OperatorStatus, Outcome, wait_seconds
from services.queueing.offers import Desk
from services.queueing.tables import Operator, ReinforcementOrder, utc


class LoginRequest(BaseModel):
    """Who signs in and where comes from the token: the body cannot name another person."""

    model_config = ConfigDict(extra="forbid")

    skills: list[QueueName] = Field(default_factory=list, description="queues; empty means all")
    takeover: bool = Field(
        default=False, description="move a session open elsewhere (another tab or device) here"
    )


class PauseRequest(BaseModel):
    reason: Literal["rast", "utbildning", "administration"] = Field(
        description="break, training, administration"
    )


def _utc(value: datetime | None) -> datetime | None:
    return utc(value) if value else None


class OperatorView(BaseModel):
    operator_id: str = Field(description="the person's token subject")
    name: str
    region: Region
    status: str = Field(description="ready, offered, busy, wrap_up, paused or signed_out")
    pause_reason: str | None = Field(
        description="rast, utbildning, administration, or offer_declined (set by the platform)"
    )
    status_since: datetime | None
    wrap_up_until: datetime | None = Field(description="when a wrap-up ends by itself")
    skills: list[str]
    lent_to_order: uuid.UUID | None

    @classmethod
    def of(cls, operator: Operator) -> "OperatorView":
        return cls(
            operator_id=operator.operator_id,
            name=operator.name,
            region=Region(operator.region),
            status=OperatorStatus(operator.status).value,
            pause_reason=operator.pause_reason,
            status_since=_utc(operator.status_since),
            wrap_up_until=_utc(operator.wrap_up_until),
            skills=operator.skill_set(),
            lent_to_order=operator.lent_order_id,
        )


class AssignedContact(BaseModel):
    contact_id: uuid.UUID
    region: Region
    queue: str
    channel: str
    category: str
    matter: str
    priority: int
    received_at: datetime
    reinforcement_order: uuid.UUID | None
    possible_emergency: bool = Field(description="triage doubts it is safe: read it first")
    low_confidence: bool = Field(description="triage was unsure of the category: read it")
    status: str = Field(description="offered, assigned, answered, resolved, ...")
    # Triage's explanation (Classified), for the desk's context card.
    e_service: str | None = Field(description="the e-service (polisen.se) that could take it")
    decided_by: str = Field(description="rules, or model: the learned second opinion raised it")
    rule_id: str | None = Field(description="the triage rule that decided (or was raised)")
    confidence: float | None = Field(
        description="the model's probability of the category; None when it did not weigh it"
    )
    outcome: str | None = Field(description="its outcome, once recorded")
    case_number: str | None = Field(description="the case its outcome opened, if any")

    @classmethod
    def of(cls, contact: Contact) -> "AssignedContact":
        return cls(
            contact_id=contact.contact_id,
            region=contact.region,
            queue=contact.queue.value,
            channel=contact.channel.value,
            category=contact.category.value,
            matter=contact.matter.value,
            priority=contact.priority,
            received_at=contact.received_at,
            reinforcement_order=contact.order_id,
            possible_emergency=contact.possible_emergency,
            low_confidence=contact.low_confidence,
            status=contact.status.value,
            e_service=contact.e_service,
            decided_by=contact.decided_by,
            rule_id=contact.rule_id,
            confidence=contact.confidence,
            outcome=contact.outcome.value if contact.outcome else None,
            case_number=contact.case_number,
        )


class OfferView(AssignedContact):
    """A contact reserved for the operator's desk: what its context card shows."""

    waiting_seconds: float = Field(description="how long it had waited when offered")
    offered_at: datetime
    expires_at: datetime = Field(description="not accepted by then, it goes back to its place")

    @classmethod
    def offered(cls, contact: Contact, expires_at: datetime) -> "OfferView":
        assert contact.assigned_at is not None
        return cls(
            **AssignedContact.of(contact).model_dump(),
            waiting_seconds=wait_seconds(contact.received_at, contact.assigned_at),
            offered_at=contact.assigned_at,
            expires_at=expires_at,
        )


class DeskView(BaseModel):
    """One message of the offer stream: the operator's presence, the offer on their desk, and
    the contact they hold (accepted, not yet given an outcome), so a reloaded desk has it."""

    operator: OperatorView | None = Field(description="None once signed out")
    offer: OfferView | None
    held: AssignedContact | None = Field(default=None, description="assigned or answered")
    wrapping_up: AssignedContact | None = Field(
        default=None, description="during a wrap-up: the contact it follows, with its outcome"
    )

    @classmethod
    def of(cls, desk: Desk | None) -> "DeskView":
        if desk is None:
            return cls(operator=None, offer=None)
        offer = desk.offer
        expires = desk.offer_expires_at
        shown = OfferView.offered(offer, expires) if offer and expires else None
        held = AssignedContact.of(desk.held) if desk.held else None
        last = AssignedContact.of(desk.wrapping_up) if desk.wrapping_up else None
        return cls(
            operator=OperatorView.of(desk.operator), offer=shown, held=held, wrapping_up=last
        )


class OutcomeRequest(BaseModel):
    outcome: Outcome


class AbandonRequest(BaseModel):
    reason: Literal["hung_up"] = "hung_up"


class OrderRequest(BaseModel):
    region: Region
    donors: list[DonorLoan] = Field(min_length=1)
    until: AwareDatetime


class OrderView(BaseModel):
    order_id: uuid.UUID
    region: Region
    donors: dict[str, int]
    until: datetime
    ordered_by: str
    ended_at: datetime | None
    end_reason: str | None

    @classmethod
    def of(cls, order: ReinforcementOrder) -> "OrderView":
        return cls(
            order_id=order.order_id,
            region=Region(order.region),
            donors=order.donor_quota(),
            until=utc(order.until),
            ordered_by=order.ordered_by,
            ended_at=utc(order.ended_at) if order.ended_at else None,
            end_reason=order.end_reason,
        )
