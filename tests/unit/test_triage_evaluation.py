"""The labelled sets: coverage, and the classifier meets the goals on them."""

from pathlib import Path

import pytest

from schemas import Channel, MatterType, NeedCategory
from services.triage.bootstrap import build_classifier
from services.triage.classifier import Classifier
from services.triage.evaluation import (
    DEFAULT_SET,
    GOAL_ACCURACY,
    GOAL_EMERGENCY_RECALL,
    evaluate,
    load_labelled,
)
from services.triage.settings import TriageSettings


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return build_classifier(TriageSettings())  # the rules the service loads


HELD_OUT = DEFAULT_SET.with_name("triage_heldout.jsonl")
# Never tuned on (tests/data/README.md). Its figures with rules 2026.11-6: a change to the rules
# may raise them, never lower them; the goals are out of reach on unseen wording.
BLIND = DEFAULT_SET.with_name("triage_blind.jsonl")
BLIND_NOD_RECALL = 35 / 44
BLIND_ACCURACY = 0.75
# The December blind set (170 texts, 60 Nöd), first run untouched with rules 2026.11-6: the
# floor a change may raise, never lower (tests/data/README.md).
BLIND_DEC = DEFAULT_SET.with_name("triage_blind_2026_12.jsonl")
BLIND_DEC_NOD_RECALL = 47 / 60
BLIND_DEC_ACCURACY = 130 / 170
GOAL_MATTER_ACCURACY = 0.80  # an aim of the tracker, not a gate of `pkc triage eval`


def test_the_labelled_set_covers_every_category_matter_and_channel() -> None:
    items = load_labelled(DEFAULT_SET)
    assert len(items) >= 300
    assert {i.category for i in items} == set(NeedCategory)
    assert {i.matter for i in items} == {m.value for m in MatterType}
    assert {i.channel for i in items} == set(Channel)
    assert len({i.id for i in items}) == len(items), "ids are unique"
    assert any(len(i.text) > 1000 for i in items), "very long texts are in"
    assert any(len(i.text) <= 5 for i in items), "very short texts are in"


@pytest.mark.parametrize("path", [DEFAULT_SET, HELD_OUT], ids=["labelled", "held-out"])
def test_nod_is_never_missed_and_categories_are_right_nine_times_in_ten(
    classifier: Classifier, path: Path
) -> None:
    result = evaluate(classifier, load_labelled(path))
    missed = [(item.id, item.text) for item, got, _ in result.misses if got != item.category]
    emergencies = [m for m in missed if m[0] in _ids(path, NeedCategory.EMERGENCY)]
    assert result.recall(NeedCategory.EMERGENCY) >= GOAL_EMERGENCY_RECALL, emergencies
    assert result.accuracy >= GOAL_ACCURACY, missed


def test_texts_never_tuned_on_do_not_lose_what_the_rules_generalise_to(
    classifier: Classifier,
) -> None:
    result = evaluate(classifier, load_labelled(BLIND))
    assert result.recall(NeedCategory.EMERGENCY) >= BLIND_NOD_RECALL
    assert result.accuracy >= BLIND_ACCURACY
    december = evaluate(classifier, load_labelled(BLIND_DEC))
    assert december.recall(NeedCategory.EMERGENCY) >= BLIND_DEC_NOD_RECALL
    assert december.accuracy >= BLIND_DEC_ACCURACY - 1e-9


def test_the_matter_is_right_at_least_four_times_in_five(classifier: Classifier) -> None:
    result = evaluate(classifier, load_labelled(DEFAULT_SET))
    assert result.matter_accuracy >= GOAL_MATTER_ACCURACY


def _ids(path: Path, category: NeedCategory) -> set[str]:
    return {i.id for i in load_labelled(path) if i.category == category}


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    broken = tmp_path / "set.jsonl"
    good = (
        '{"id": "a", "text": "hej", "channel": "phone", "category": "information", '
        '"matter": "other"}'
    )
    broken.write_text(good + "\n\n" + '{"id": "b", "text": "x", "channel": "fax"}\n')
    with pytest.raises(ValueError, match="line 3"):
        load_labelled(broken)
