"""The learned second opinion: the same probabilities as scikit-learn, explanations that name
no personal data, bad input and bad model files, and a combination that only raises."""

import json
from pathlib import Path

import numpy as np
import pytest

from schemas import Channel, MatterType, NeedCategory, Route
from services.triage.bootstrap import build_classifier
from services.triage.classifier import Classifier
from services.triage.decision import MODEL, RULES, Decision
from services.triage.evaluation import DEFAULT_SET, load_labelled
from services.triage.model import CLASSES, ModelError, Opinion, Thresholds, TriageModel, features
from services.triage.second_opinion import combine
from services.triage.settings import TriageSettings
from services.triage.training import estimators, fit

NOD = NeedCategory.EMERGENCY
THRESHOLDS = Thresholds(emergency=0.5, possible_emergency=0.2, urgent=0.6)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return build_classifier(TriageSettings())


@pytest.fixture(scope="module")
def model(classifier: Classifier) -> TriageModel:
    assert classifier.model is not None, "the service loads the model by default"
    return classifier.model


def test_the_model_computes_what_scikit_learn_computes() -> None:
    items = load_labelled(DEFAULT_SET)[::4]
    vectorizer, regression = estimators(items)
    ours = TriageModel.from_dict(fit(items, "t", THRESHOLDS))
    texts = [item.text for item in load_labelled(DEFAULT_SET)[1::9]] + ["", "🙂", "hjälp hjälp"]
    expected = regression.predict_proba(vectorizer.transform(texts))
    for text, row in zip(texts, expected, strict=True):
        opinion = ours.opinion(text)
        if opinion.known_features == 0:
            continue  # scikit-learn gives the intercepts' softmax; ours says it cannot read it
        got = [opinion.probability(category) for category in CLASSES]
        np.testing.assert_allclose(got, row, atol=1e-4, err_msg=text)


def test_the_same_data_train_the_same_file() -> None:
    items = load_labelled(DEFAULT_SET)[::6]
    assert fit(items, "t", THRESHOLDS) == fit(list(items), "t", THRESHOLDS)


@pytest.mark.parametrize(
    "text",
    [
        "Min pappa har demens och gick ut i snön i morgonrock för en timme sedan, han är borta",
        "barnet e ensamt vid bryggan o kan inte simma, ser ingen vuxen",
        "is it normal that someone tries our door handle at 3 am? it is happening again now",
    ],
)
def test_danger_told_without_alarm_words_reaches_nod_or_a_flag(
    classifier: Classifier, text: str
) -> None:
    decision = classifier.classify(text, Channel.MAIL)
    assert decision.category == NOD or decision.possible_emergency
    assert decision.probabilities, "the model's probabilities travel with the decision"


def test_the_explanation_names_which_opinion_decided_and_why(classifier: Classifier) -> None:
    by_rules = classifier.classify("Någon bryter sig in hos grannen just nu!", Channel.PHONE)
    assert (by_rules.decided_by, by_rules.rule_id) == (RULES, "nod-acute-danger")
    raised = classifier.classify(
        "barnet e ensamt vid bryggan o kan inte simma, ser ingen vuxen", Channel.PHONE
    )
    if raised.decided_by == MODEL:
        assert raised.weighed_words
    assert sum(p for _, p in raised.probabilities) == pytest.approx(1.0, abs=1e-3)


def test_words_outside_the_vocabulary_are_never_named(model: TriageModel) -> None:
    text = (
        "Zbigniewski Oxelqvist 070-123 45 67 ligger i vattnet och andas inte vid Kråkbergsbryggan"
    )
    opinion = model.opinion(text)
    named = {w for category in CLASSES for w in opinion.weighed_words(category, most=50)}
    assert named, "the known words are named"
    assert not named & {"zbigniewski", "oxelqvist", "krakbergsbryggan"}
    assert not any(word.isdigit() for word in named), named
    assert named <= {f[2:] for f in model.vocabulary if f.startswith("w:")}


@pytest.mark.parametrize(
    "text",
    ["", "   ", "🙂🙂🙂🚓", "Здравствуйте, у меня украли велосипед", "مرحبا هناك رجل في منزلي"],
    ids=["empty", "blank", "emoji", "cyrillic", "arabic"],
)
def test_a_text_the_model_cannot_read_is_decided_with_low_confidence(
    classifier: Classifier, text: str
) -> None:
    decision = classifier.classify(text, Channel.SOCIAL_MEDIA)
    assert decision.low_confidence
    assert decision.category == NeedCategory.INFORMATION  # an operator reads it
    assert decision.probabilities == ()


def test_huge_and_mixed_texts_are_decided(classifier: Classifier) -> None:
    huge = "Jag undrar över öppettiderna. " * 4_000  # 120,000 characters
    assert classifier.classify(huge, Channel.MAIL).category == NeedCategory.INFORMATION
    mixed = "hej!! my brother took all his pills nu och svarar inte 😭 pls kom"
    assert classifier.classify(mixed, Channel.SOCIAL_MEDIA).category == NOD


def _rules_decision(category: NeedCategory, route: Route = Route.OPERATOR) -> Decision:
    return Decision(category, MatterType.OTHER, 4, route, "e-tjanst", "some-rule", ("x",))


def _opinion(p_emergency: float, p_urgent: float = 0.0) -> Opinion:
    rest = (1.0 - p_emergency - p_urgent) / 2
    probabilities = {
        NOD: p_emergency,
        NeedCategory.URGENT: p_urgent,
        NeedCategory.CASE_HELP: rest,
        NeedCategory.INFORMATION: rest,
    }
    return Opinion(probabilities, known_features=10)


@pytest.mark.parametrize("category", [c for c in NeedCategory if c != NOD])
def test_a_sure_model_raises_to_nod_and_112(category: NeedCategory) -> None:
    decided = combine(_rules_decision(category), _opinion(0.9), THRESHOLDS)
    assert (decided.category, decided.route, decided.priority) == (NOD, Route.EMERGENCY_112, 1)
    assert decided.e_service is None
    assert decided.decided_by == MODEL


@pytest.mark.parametrize("category", [NOD, NeedCategory.URGENT])
def test_the_model_never_lowers_the_rules(category: NeedCategory) -> None:
    rules = _rules_decision(category)
    decided = combine(rules, _opinion(0.0, 0.0), THRESHOLDS)
    assert (decided.category, decided.decided_by) == (category, RULES)


def test_doubt_below_nod_flags_jumps_the_queue_and_never_goes_to_an_e_service() -> None:
    rules = _rules_decision(NeedCategory.CASE_HELP, Route.E_SERVICE)
    decided = combine(rules, _opinion(0.3), THRESHOLDS)
    assert decided.category == NeedCategory.CASE_HELP
    assert decided.possible_emergency
    assert decided.priority == 1
    assert decided.route == Route.OPERATOR


def test_likely_urgent_raises_information_to_skyndsamt_for_an_operator() -> None:
    rules = _rules_decision(NeedCategory.INFORMATION, Route.SWITCHBOARD)
    decided = combine(rules, _opinion(0.1, 0.6), THRESHOLDS)
    assert (decided.category, decided.route, decided.decided_by) == (
        NeedCategory.URGENT,
        Route.OPERATOR,
        MODEL,
    )
    assert not decided.possible_emergency


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 9}, "format"),
        ({"classes": ["emergency", "urgent"]}, "classes"),
        ({"idf": [1.0]}, "do not fit"),
        ({"thresholds": {"emergency": 0.1, "possible_emergency": 0.5, "urgent": 0.5}}, "thresh"),
    ],
)
def test_a_broken_model_file_is_refused_naming_the_file(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    good = fit(load_labelled(DEFAULT_SET)[::8], "t", THRESHOLDS)
    broken = tmp_path / "model.json"
    broken.write_text(json.dumps(good | change))
    with pytest.raises(ModelError, match=message) as refused:
        TriageModel.from_file(broken)
    assert str(broken) in str(refused.value)


def test_triage_refuses_to_start_on_a_model_file_that_is_not_json(tmp_path: Path) -> None:
    broken = tmp_path / "model.json"
    broken.write_text("{not json")
    with pytest.raises(ModelError, match=r"model\.json"):
        build_classifier(TriageSettings(model_file=broken))


def test_the_rules_alone_run_when_no_model_is_configured() -> None:
    classifier = build_classifier(TriageSettings(model_file=""))
    assert classifier.model is None
    assert classifier.model_version is None
    decided = classifier.classify("barnet e ensamt vid bryggan", Channel.PHONE)
    assert decided.probabilities == ()
    assert decided.decided_by == RULES


def test_features_are_the_words_character_ngrams_the_words_and_word_pairs() -> None:
    cut = features("Hjälp, grannen!")
    assert " hj" in cut
    assert "w:hjalp" in cut
    assert "w:hjalp grannen" in cut
