"""Trains the second opinion from labelled texts (scikit-learn), reproducibly, and chooses its
thresholds on held-out folds, recall first. Used by `pkc triage train` and `pkc triage eval`;
the service only loads the model file this writes (`services.triage.model`).

The same seed, data, settings and library versions give the same file byte for byte: the
folds are seeded, lbfgs is deterministic, and the file's floats are rounded. A newer numpy or
scikit-learn may still move a weight by its last rounded digit (the test allows that).
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from schemas import NeedCategory
from services.triage.evaluation import DEFAULT_SET, Labelled
from services.triage.model import (
    CLASSES,
    MODEL_FORMAT,
    Opinion,
    Thresholds,
    TriageModel,
    features,
)

# What `pkc triage train` learns from. Never the blind sets (tests/data/README.md).
TRAINING_SETS = (DEFAULT_SET, DEFAULT_SET.with_name("triage_heldout.jsonl"))
SEED = 17
FOLDS = 5
C = 30.0  # weak regularisation: the labelled set is small and its phrases are informative
MIN_DF = 2  # a feature of one text only says more about that text than about its category
# Recall first: on held-out folds the model alone must find this share of the emergencies
# to make them Nöd. Below that it flags as much as it may without flagging more than this
# share of the non-emergencies: every flag on a written channel wakes someone on call.
EMERGENCY_RECALL = 0.98
FLAG_BUDGET = 0.05
LOWEST_THRESHOLD = 0.05  # below this P(Nöd) is noise, even if an odd text sits there
SIGNIFICANT = 6  # digits kept of each number in the file


@dataclass(frozen=True)
class Trained:
    model: TriageModel
    file: dict[str, Any]  # what `pkc triage train` writes
    held_out: list[Opinion]  # each labelled text's, from a model that never saw it


def estimators(items: Sequence[Labelled]) -> tuple[TfidfVectorizer, LogisticRegression]:
    """scikit-learn's vectorizer and regression, fitted on `items`."""
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=MIN_DF)
    matrix = vectorizer.fit_transform([item.text for item in items])
    labels = [item.category.value for item in items]
    regression = LogisticRegression(C=C, class_weight="balanced", max_iter=5_000)
    regression.fit(matrix, labels)
    if list(regression.classes_) != [c.value for c in CLASSES]:
        raise ValueError("the labelled set must hold all four need categories")
    return vectorizer, regression


def fit(items: Sequence[Labelled], rules_version: str, thresholds: Thresholds) -> dict[str, Any]:
    """One model on `items`, as the file's dictionary."""
    vectorizer, regression = estimators(items)
    vocabulary = {str(k): int(v) for k, v in sorted(vectorizer.vocabulary_.items())}
    body = {
        "format": MODEL_FORMAT,
        "rules_version": rules_version,
        "trained_on": {"texts": len(items), "data_sha256": _digest(items)},
        "settings": {"seed": SEED, "C": C, "min_df": MIN_DF, "folds": FOLDS},
        "thresholds": {k: round(v, 2) for k, v in vars(thresholds).items()},
        "classes": [str(c) for c in regression.classes_],
        "vocabulary": vocabulary,
        "idf": _rounded(vectorizer.idf_),
        "coef": [_rounded(row) for row in regression.coef_],
        "intercept": _rounded(regression.intercept_),
    }
    content = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {"version": f"{rules_version}+{content[:8]}", **body}


def out_of_fold(items: Sequence[Labelled], seed: int = SEED) -> list[Opinion]:
    """Each item's opinion from a model trained on the other folds (5-fold, stratified)."""
    labels = np.array([item.category.value for item in items])
    held_out: list[Opinion | None] = [None] * len(items)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    neutral = Thresholds(1.0, 1.0, 1.0)
    for train, test in folds.split(np.zeros(len(items)), labels):
        model = TriageModel.from_dict(fit([items[i] for i in train], "fold", neutral))
        for i in test:
            held_out[i] = model.opinion(items[i].text)
    return [opinion for opinion in held_out if opinion is not None]


def choose_thresholds(held_out: Sequence[Opinion], items: Sequence[Labelled]) -> Thresholds:
    """Recall first for Nöd; the flag as low as its budget allows; for Skyndsamt-or-worse
    the threshold with the best F1."""
    p_emergency = np.array([o.probability(NeedCategory.EMERGENCY) for o in held_out])
    p_urgent = p_emergency + np.array([o.probability(NeedCategory.URGENT) for o in held_out])
    emergency = np.array([i.category == NeedCategory.EMERGENCY for i in items])
    urgent = emergency | np.array([i.category == NeedCategory.URGENT for i in items])
    grid = np.round(np.arange(LOWEST_THRESHOLD, 0.96, 0.01), 2)
    nod = _highest_with_recall(grid, p_emergency, emergency, EMERGENCY_RECALL)
    others = p_emergency[~emergency]
    within_budget = [
        t for t in grid if t <= nod and ((others >= t) & (others < nod)).mean() <= FLAG_BUDGET
    ]
    flag = float(min(within_budget))
    f1 = [_f1(p_urgent >= t, urgent) for t in grid]
    return Thresholds(
        emergency=nod, possible_emergency=flag, urgent=float(grid[int(np.argmax(f1))])
    )


def train(items: Sequence[Labelled], rules_version: str, seed: int = SEED) -> Trained:
    held_out = out_of_fold(items, seed)
    thresholds = choose_thresholds(held_out, items)
    file = fit(items, rules_version, thresholds)
    return Trained(TriageModel.from_dict(file), file, held_out)


def dumps(file: dict[str, Any]) -> str:
    return json.dumps(file, ensure_ascii=False, separators=(",", ":")) + "\n"


def _highest_with_recall(
    grid: npt.NDArray[np.float64], scores: npt.NDArray[np.float64], actual: Any, recall: float
) -> float:
    found = [t for t in grid if (scores[actual] >= t).mean() >= recall - 1e-9]
    return float(max(found)) if found else LOWEST_THRESHOLD


def _f1(predicted: npt.NDArray[np.bool_], actual: npt.NDArray[np.bool_]) -> float:
    hits = float((predicted & actual).sum())
    return 2 * hits / float(predicted.sum() + actual.sum()) if hits else 0.0


def _rounded(values: Any) -> list[float]:
    return [float(f"{v:.{SIGNIFICANT}g}") for v in np.asarray(values, dtype=np.float64)]


def _digest(items: Sequence[Labelled]) -> str:
    lines = sorted(f"{i.id}\t{i.category.value}\t{i.text}" for i in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
