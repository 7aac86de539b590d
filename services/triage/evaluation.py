"""Measures the classifier on a labelled set: precision, recall, a confusion matrix."""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from schemas import Channel, NeedCategory
from services.triage.classifier import Classifier

DEFAULT_SET = Path(__file__).parents[2] / "tests" / "data" / "triage_labelled.jsonl"
GOAL_EMERGENCY_RECALL = 1.0
GOAL_ACCURACY = 0.90


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
    def goals_met(self) -> bool:
        emergency = self.recall(NeedCategory.EMERGENCY) >= GOAL_EMERGENCY_RECALL
        return emergency and self.accuracy >= GOAL_ACCURACY


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


def evaluate(classifier: Classifier, items: list[Labelled]) -> Evaluation:
    result = Evaluation()
    for item in items:
        decision = classifier.classify(item.text, item.channel)
        result.total += 1
        result.confusion[(item.category, decision.category)] += 1
        if decision.category == item.category:
            result.correct += 1
        else:
            result.misses.append((item, decision.category, decision.rule_id))
        if decision.matter.value == item.matter:
            result.matter_correct += 1
    return result
