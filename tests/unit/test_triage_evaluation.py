"""The labelled sets: coverage, the goals on texts the classifier never learned from, and the
committed model is what training builds."""

import json
from pathlib import Path

import numpy as np
import pytest

from schemas import Channel, MatterType, NeedCategory
from services.triage.bootstrap import build_classifier
from services.triage.classifier import Classifier
from services.triage.decision import URGENCY
from services.triage.evaluation import (
    DEFAULT_SET,
    GOAL_ACCURACY,
    GOAL_EMERGENCY_RECALL,
    Labelled,
    evaluate,
    load_labelled,
)
from services.triage.model import DEFAULT_MODEL
from services.triage.settings import TriageSettings
from services.triage.training import TRAINING_SETS, Trained, dumps, train

NOD = NeedCategory.EMERGENCY
# Never tuned on (tests/data/README.md); their figures are floors a change may raise, never
# lower. First run of rules + model 2026.11-6+b0513c1d, on 2026-12-02 (rules alone before it).
BLIND = DEFAULT_SET.with_name("triage_blind.jsonl")  # rules alone: 35/44, 75.5 %, 6 Nöd → Info
BLIND_FLOORS = {"nod_recall": 43 / 44, "nod_precision": 43 / 52, "accuracy": 94 / 110}
BLIND_NOD_AS_INFORMATION = 1
# The December blind set (170 texts, 60 Nöd), the measure of triage safety; rules alone:
# 47/60, precision 92.2 %, 76.5 %, 7 Nöd → Information.
BLIND_DEC = DEFAULT_SET.with_name("triage_blind_2026_12.jsonl")
BLIND_DEC_FLOORS = {"nod_recall": 60 / 60, "nod_precision": 60 / 70, "accuracy": 150 / 170}
BLIND_DEC_NOD_AS_INFORMATION = 0
# Cross-validated on the training sets (5 folds), model 2026.11-6+b0513c1d: Nöd recall 99.3 %,
# precision 80.0 % (the rules' own false Nöd cap it: the model may not lower them), accuracy
# 85.9 %; one emergency came out as Information (a question about an idling car with a man
# in a seizure in it). Floors a change may raise, never lower.
CV_NOD_RECALL = 0.99
CV_NOD_PRECISION = 0.79
CV_NOD_AS_INFORMATION = 1
# The matter is the rules' alone; they were tuned on the first 501 texts, not the 1,100 added
# for the model, where they name the matter less often (an aim, not a gate of the eval).
MATTER_ACCURACY = 0.75


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return build_classifier(TriageSettings())  # the rules and the model the service loads


@pytest.fixture(scope="module")
def training_items() -> list[Labelled]:
    return [item for path in TRAINING_SETS for item in load_labelled(path)]


@pytest.fixture(scope="module")
def trained(classifier: Classifier, training_items: list[Labelled]) -> Trained:
    return train(training_items, classifier.version)  # as `pkc triage train` does


def test_the_labelled_set_covers_every_category_matter_and_channel() -> None:
    items = load_labelled(DEFAULT_SET)
    assert len(items) >= 1_500
    assert {i.category for i in items} == set(NeedCategory)
    assert {i.matter for i in items} == {m.value for m in MatterType}
    assert {i.channel for i in items} == set(Channel)
    assert len({i.id for i in items}) == len(items), "ids are unique"
    assert any(len(i.text) > 1000 for i in items), "very long texts are in"
    assert any(len(i.text) <= 5 for i in items), "very short texts are in"


def test_no_blind_text_is_trained_on(training_items: list[Labelled]) -> None:
    learned = {" ".join(i.text.lower().split()) for i in training_items}

    def overlap(path: Path) -> set[str]:
        return {i.id for i in load_labelled(path) if " ".join(i.text.lower().split()) in learned}

    assert overlap(BLIND_DEC) == set()
    # Older than the model: "hej", "hjälp" and one text that was in the labelled set already.
    assert overlap(BLIND) <= {"b020", "c049", "c055"}


WEIGHTS = ("idf", "coef", "intercept")


def test_the_committed_model_is_what_training_builds(trained: Trained) -> None:
    """Byte for byte with the library versions it was trained with; with a newer numpy or
    scikit-learn a weight may move by its last rounded digit (seen: 1e-8), which changes
    the content hash in the version but nothing the model decides."""
    built = json.loads(dumps(trained.file))
    committed = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    retrain = "run `pkc triage train` and commit services/triage/model.json"

    def rest(model: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in model.items() if k not in (*WEIGHTS, "version")}

    assert rest(built) == rest(committed), retrain
    assert built["version"].split("+")[0] == committed["version"].split("+")[0], retrain
    for name in WEIGHTS:
        assert np.allclose(built[name], committed[name], rtol=1e-4, atol=1e-6), retrain
    assert DEFAULT_MODEL.stat().st_size < 20_000_000


def test_cross_validated_nod_is_found_and_categories_are_right(
    classifier: Classifier, trained: Trained, training_items: list[Labelled]
) -> None:
    """Each text judged by a model trained without it (5 folds), beside the rules."""
    result = evaluate(classifier, training_items, trained.held_out)
    assert result.recall(NOD) >= max(CV_NOD_RECALL, GOAL_EMERGENCY_RECALL)
    assert result.precision(NOD) >= CV_NOD_PRECISION
    assert result.accuracy >= GOAL_ACCURACY
    assert result.emergencies_as_information <= CV_NOD_AS_INFORMATION


def test_the_model_only_ever_raises_the_rules(
    classifier: Classifier, training_items: list[Labelled]
) -> None:
    for item in training_items:
        by_rules = classifier.classify_by_rules(item.text, item.channel)
        decided = classifier.classify(item.text, item.channel)
        assert URGENCY.index(decided.category) <= URGENCY.index(by_rules.category), item.id


@pytest.mark.parametrize(
    ("path", "floors", "as_information"),
    [
        (BLIND_DEC, BLIND_DEC_FLOORS, BLIND_DEC_NOD_AS_INFORMATION),
        (BLIND, BLIND_FLOORS, BLIND_NOD_AS_INFORMATION),
    ],
    ids=["blind-december", "blind"],
)
def test_texts_never_tuned_on_keep_their_figures(
    classifier: Classifier, path: Path, floors: dict[str, float], as_information: int
) -> None:
    result = evaluate(classifier, load_labelled(path))
    assert result.recall(NOD) >= floors["nod_recall"] - 1e-9
    assert result.precision(NOD) >= floors["nod_precision"] - 1e-9
    assert result.accuracy >= floors["accuracy"] - 1e-9
    assert result.emergencies_as_information <= as_information


def test_the_matter_is_right_at_least_three_times_in_four(classifier: Classifier) -> None:
    result = evaluate(classifier, load_labelled(DEFAULT_SET))
    assert result.matter_accuracy >= MATTER_ACCURACY


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    broken = tmp_path / "set.jsonl"
    good = json.dumps(
        {"id": "a", "text": "hej", "channel": "phone", "category": "information", "matter": "other"}
    )
    broken.write_text(good + "\n\n" + '{"id": "b", "text": "x", "channel": "fax"}\n')
    with pytest.raises(ValueError, match="line 3"):
        load_labelled(broken)
