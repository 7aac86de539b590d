"""E-service deflection by every channel (issue 16, item 8): a phone or mail contact an
e-service can take is flagged with the e-service (intake gives its adapter the link) and stays
with an operator; a rule that says `automatic_case` makes the e-service's case by every channel,
with no operator; an automatic case never takes Nöd."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas import Channel, ContactReceived, Region, Route
from services.shared.clock import make_clock
from services.triage.classifier import DEFAULT_RULES, Classifier
from services.triage.handlers import automatic_case, classify_contact
from services.triage.rules import RulesError, load_rules

THEFT = "Min plånbok blev stulen igår"
CLOCK = make_clock(None, 1.0)


def contact(text: str, channel: Channel) -> ContactReceived:
    return ContactReceived(
        occurred_at=datetime.now(UTC),
        contact_id=uuid.uuid4(),
        region=Region.NORD,
        channel=channel,
        source="test",
        text=text,
    )


def with_automatic_case(tmp_path: Path, rule_id: str) -> Path:
    """The shipped rules, with `automatic_case: true` on one rule."""
    text = DEFAULT_RULES.read_text("utf-8")
    marker = f"  - id: {rule_id}\n"
    assert marker in text
    rules = tmp_path / "rules.yaml"
    rules.write_text(text.replace(marker, marker + "    automatic_case: true\n"), "utf-8")
    return rules


@pytest.mark.parametrize("channel", [Channel.PHONE, Channel.MAIL, Channel.SOCIAL_MEDIA])
def test_by_default_a_theft_by_phone_or_mail_is_flagged_for_the_e_service_and_not_a_case(
    channel: Channel,
) -> None:
    classified = classify_contact(contact(THEFT, channel), Classifier.from_file(), CLOCK)
    assert (classified.route, classified.e_service) == (Route.OPERATOR, "anmal-stold")
    assert classified.e_service_capable
    assert automatic_case(classified) is None


@pytest.mark.parametrize("channel", list(Channel))
def test_a_rule_saying_automatic_case_makes_the_case_by_every_channel(
    tmp_path: Path, channel: Channel
) -> None:
    classifier = Classifier.from_file(with_automatic_case(tmp_path, "case-theft"))
    classified = classify_contact(contact(THEFT, channel), classifier, CLOCK)
    assert classified.route == Route.E_SERVICE
    case = automatic_case(classified)
    assert case is not None
    assert (case.contact_id, case.created_by) == (classified.contact_id, "e_service")


def test_an_automatic_case_never_takes_nod(tmp_path: Path) -> None:
    classifier = Classifier.from_file(with_automatic_case(tmp_path, "case-theft"))
    text = "Någon stjäl min cykel just nu, han är här utanför!"
    classified = classify_contact(contact(text, Channel.PHONE), classifier, CLOCK)
    assert classified.route == Route.EMERGENCY_112
    assert automatic_case(classified) is None


def test_automatic_case_needs_an_e_service(tmp_path: Path) -> None:
    rules = with_automatic_case(tmp_path, "case-follow-up")
    with pytest.raises(RulesError, match="automatic_case"):
        load_rules(rules)
