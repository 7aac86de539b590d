"""What triage publishes: the decision with its explanation, both versions, and the flag."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from schemas import Channel, Classified, ContactReceived, NeedCategory, Region, Route
from schemas.codec import decode_event
from services.shared.clock import SystemClock
from services.triage.bootstrap import build_classifier
from services.triage.classifier import Classifier
from services.triage.handlers import classify_contact
from services.triage.settings import TriageSettings

RECEIVED = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return build_classifier(TriageSettings())


def _contact(text: str, channel: Channel) -> ContactReceived:
    return ContactReceived(
        occurred_at=RECEIVED,
        contact_id=uuid.uuid4(),
        region=Region.NORD,
        channel=channel,
        source="test-adapter",
        text=text,
    )


def test_classified_carries_the_explanation_and_both_versions(classifier: Classifier) -> None:
    text = "hej vad kostar ett pass? förresten min granne ligger på trappan och andas konstigt"
    classified = classify_contact(_contact(text, Channel.E_SERVICE), classifier, SystemClock())
    assert classified.rules_version == classifier.version
    assert classified.model_version == classifier.model_version
    assert set(classified.probabilities) == set(NeedCategory)
    assert classified.category == NeedCategory.EMERGENCY or classified.possible_emergency
    again = decode_event(classified.model_dump_json())
    assert isinstance(again, Classified)
    assert again == classified


def test_classified_carries_intake_s_receipt_time_for_queueing_to_rank_by(
    classifier: Classifier,
) -> None:
    contact = _contact("min cykel är stulen", Channel.PHONE)
    accepted = contact.model_copy(update={"accepted_at": RECEIVED + timedelta(minutes=4)})
    assert classify_contact(accepted, classifier, SystemClock()).accepted_at == (
        RECEIVED + timedelta(minutes=4)
    )
    assert classify_contact(contact, classifier, SystemClock()).accepted_at is None


def test_an_older_classified_without_the_new_fields_still_reads_as_rules_alone() -> None:
    old = Classified(
        occurred_at=RECEIVED,
        contact_id=uuid.uuid4(),
        region=Region.NORD,
        channel=Channel.MAIL,
        received_at=RECEIVED,
        category=NeedCategory.INFORMATION,
        matter="other",
        priority=4,
        route=Route.OPERATOR,
        rule_id="fallback",
        rules_version="2026.11-6",
    ).model_dump(
        exclude={
            "decided_by",
            "model_version",
            "probabilities",
            "weighed_words",
            "possible_emergency",
            "low_confidence",
        },
        mode="json",
    )
    decoded = decode_event(json.dumps(old))
    assert isinstance(decoded, Classified)
    assert (decoded.decided_by, decoded.possible_emergency, decoded.model_version) == (
        "rules",
        False,
        None,
    )
