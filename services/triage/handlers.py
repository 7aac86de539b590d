"""Turns a ContactReceived into a Classified (and, for e-service matters, a CaseCreated)."""

import asyncio
from typing import Any

from schemas import CaseCreated, Classified, ContactReceived, RedirectedTo112, Route
from schemas.envelope import Event
from services.shared.cases import case_number
from services.shared.clock import Clock
from services.shared.kafka import EventProducer, PermanentError
from services.shared.runtime import derived_id
from services.triage.classifier import Classifier


def classify_contact(contact: ContactReceived, classifier: Classifier, clock: Clock) -> Classified:
    decision = classifier.classify(contact.text, contact.channel)
    return Classified(
        event_id=derived_id(contact.event_id, Classified.EVENT_TYPE),
        occurred_at=clock.now(),
        contact_id=contact.contact_id,
        region=contact.region,
        channel=contact.channel,
        received_at=contact.occurred_at,
        accepted_at=contact.accepted_at,
        category=decision.category,
        matter=decision.matter,
        priority=decision.priority,
        route=decision.route,
        e_service=decision.e_service,
        e_service_capable=decision.e_service_capable,
        rule_id=decision.rule_id,
        rules_version=classifier.version,
        matched=decision.matched,
        decided_by=decision.decided_by,
        model_version=classifier.model_version,
        probabilities=dict(decision.probabilities),
        weighed_words=decision.weighed_words,
        possible_emergency=decision.possible_emergency,
        low_confidence=decision.low_confidence,
    )


def automatic_case(classified: Classified) -> CaseCreated | None:
    """An e-service contact an e-service can take becomes a case with no operator."""
    if classified.route != Route.E_SERVICE:
        return None
    case_id = derived_id(classified.contact_id, "case")
    return CaseCreated(
        event_id=derived_id(classified.event_id, CaseCreated.EVENT_TYPE),
        occurred_at=classified.occurred_at,
        case_id=case_id,
        contact_id=classified.contact_id,
        region=classified.region,
        case_number=case_number(case_id, classified.occurred_at.year),
        matter=classified.matter,
        created_by="e_service",
    )


def redirect_to_112(classified: Classified) -> RedirectedTo112 | None:
    """Nöd never waits: the redirect is recorded with the time it took from receipt."""
    if classified.route != Route.EMERGENCY_112:
        return None
    return RedirectedTo112(
        event_id=derived_id(classified.event_id, RedirectedTo112.EVENT_TYPE),
        occurred_at=classified.occurred_at,
        contact_id=classified.contact_id,
        region=classified.region,
        channel=classified.channel,
        received_at=classified.received_at,
        redirect_seconds=max(
            0.0, (classified.occurred_at - classified.received_at).total_seconds()
        ),
    )


class TriageHandler:
    def __init__(self, classifier: Classifier, producer: EventProducer, clock: Clock):
        self.classifier = classifier
        self.producer = producer
        self.clock = clock

    async def __call__(self, event: Event) -> "asyncio.Future[Any]":
        if not isinstance(event, ContactReceived):
            raise PermanentError(f"triage does not handle {event.EVENT_TYPE}")
        classified = classify_contact(event, self.classifier, self.clock)
        followers = [f for f in (redirect_to_112(classified), automatic_case(classified)) if f]
        # Handed to the batch sender; the consumer awaits the acks before it commits.
        acks = [await self.producer.enqueue(e) for e in (classified, *followers)]
        return asyncio.gather(*acks)
