"""Measures the classifier on a labelled set: precision, recall, a confusion matrix."""

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from schemas import Channel, NeedCategory
from services.triage.classifier import Classifier
from services.triage.model import Opinion
from services.triage.second_opinion import combine

DEFAULT_SET = Path(__file__).parents[2] / "tests" / "data" / "triage_labelled.jsonl"
# The goals of triage safety, on texts the classifier never learned from.
GOAL_EMERGENCY_RECALL = 0.97
GOAL_EMERGENCY_PRECISION = 0.80
GOAL_ACCURACY = 0.85


@dataclass(frozen=True)
class Labelled:
    id: str
    text: str
    channel: Channel
    category: NeedCategory
    matter: str


@dataclass
class Evaluation:
    total: int = 0
    correct: int = 0
    matter_correct: int = 0
    confusion: Counter[tuple[NeedCategory, NeedCategory]] = field(default_factory=Counter)
    misses: list[tuple[Labelled, NeedCategory, str]] = field(default_factory=list)
    flagged: int = 0  # decided below Nöd but flagged as a possible emergency
    emergencies_flagged: int = 0  # of those, labelled Nöd

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def matter_accuracy(self) -> float:
        return self.matter_correct / self.total if self.total else 0.0

    def precision(self, category: NeedCategory) -> float:
        predicted = sum(n for (_, p), n in self.confusion.items() if p == category)
        return self.confusion[(category, category)] / predicted if predicted else 0.0

    def recall(self, category: NeedCategory) -> float:
        actual = sum(n for (a, _), n in self.confusion.items() if a == category)
        return self.confusion[(category, category)] / actual if actual else 0.0

    @property
    def emergencies_unseen(self) -> int:
        """Emergencies neither decided Nöd nor flagged: the ones that would wait."""
        found = self.confusion[(NeedCategory.EMERGENCY, NeedCategory.EMERGENCY)]
        actual = sum(n for (a, _), n in self.confusion.items() if a == NeedCategory.EMERGENCY)
        return actual - found - self.emergencies_flagged

    @property
    def emergencies_as_information(self) -> int:
        return self.confusion[(NeedCategory.EMERGENCY, NeedCategory.INFORMATION)]

    @property
    def goals_met(self) -> bool:
        return (
            self.recall(NeedCategory.EMERGENCY) >= GOAL_EMERGENCY_RECALL
            and self.precision(NeedCategory.EMERGENCY) >= GOAL_EMERGENCY_PRECISION
            and self.accuracy >= GOAL_ACCURACY
            and self.emergencies_as_information == 0
        )


def load_labelled(path: Path = DEFAULT_SET) -> list[Labelled]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(
                Labelled(
                    id=str(raw["id"]),
                    text=str(raw["text"]),
                    channel=Channel(raw["channel"]),
                    category=NeedCategory(raw["category"]),
                    matter=str(raw["matter"]),
                )
            )
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}: line {number}: {type(exc).__name__}: {exc}") from None
    return items


def evaluate(
    classifier: Classifier, items: Sequence[Labelled], held_out: Sequence[Opinion] | None = None
) -> Evaluation:
    """The classifier on `items`; with `held_out`, each item's model opinion is the given one
    (from a model that never saw it: cross-validation) instead of the loaded model's."""
    result = Evaluation()
    for number, item in enumerate(items):
        if held_out is not None and classifier.model is not None:
            by_rules = classifier.classify_by_rules(item.text, item.channel)
            decision = combine(by_rules, held_out[number], classifier.model.thresholds)
        else:
            decision = classifier.classify(item.text, item.channel)
        result.total += 1
        if decision.possible_emergency:
            result.flagged += 1
            result.emergencies_flagged += item.category == NeedCategory.EMERGENCY
        result.confusion[(item.category, decision.category)] += 1
        if decision.category == item.category:
            result.correct += 1
        else:
            result.misses.append((item, decision.category, decision.rule_id))
        if decision.matter.value == item.matter:
            result.matter_correct += 1
    return result
