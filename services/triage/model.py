"""The learned second opinion: a linear model over character n-grams and words.

Training (`services.triage.training`, scikit-learn) and this module share `word_features`, so
the text is cut the same way in both; here only the arithmetic of scikit-learn's TF-IDF and
multinomial logistic regression is repeated (sublinear tf x idf, L2 norm, softmax), over a
model file of plain JSON: loading it runs no code, unlike a pickle, and costs no scikit-learn
import in the service. `tests/unit/test_triage_model.py` checks the probabilities against
scikit-learn's own.

Character n-grams inside each word (" polis " → " po", "pol", ...) let the model see
inflections and typos ("lägenheten", "lagenheten", "lägenhetn") as nearly the same text,
which the phrase rules cannot.
"""

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from schemas import NeedCategory
from services.triage.text import tokens

DEFAULT_MODEL = Path(__file__).with_name("model.json")
MODEL_FORMAT = 1
CHAR_NGRAMS = (3, 5)
MAX_TOKENS = 2_000  # as the rules: bounds the cost of a huge text
WORD = "w:"  # the prefix of word features, the only ones an explanation may name
WEIGHED_WORDS = 3
# Words in more than about one labelled text in eight (och, jag, the: scikit-learn's smoothed
# idf below 3) are never named as what weighed: they say little to a reader. Nor are numbers:
# a piece of a phone or case number is the citizen's, whatever the model learned of it.
COMMON_IDF = 3.0
CLASSES = tuple(sorted(NeedCategory))  # scikit-learn's order: the labels sorted
_NO_INDICES: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)


class ModelError(ValueError):
    """An unusable model file; the message names the file and what is wrong."""


def word_features(word: str) -> list[str]:
    """One word's features: its character 3-5-grams, with the spaces around it, and itself."""
    padded = f" {word} "
    out: list[str] = []
    low, high = CHAR_NGRAMS
    for n in range(low, high + 1):
        if len(padded) <= n:
            out.append(padded)
            break
        out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    out.append(WORD + word)
    return out


def pair_feature(first: str, second: str) -> str:
    return f"{WORD}{first} {second}"


def features(text: str) -> list[str]:
    """The text as features: each word's, and each pair of neighbouring words."""
    words = tokens(text)[:MAX_TOKENS]
    out = [f for word in words for f in word_features(word)]
    out.extend(pair_feature(a, b) for a, b in itertools.pairwise(words))
    return out


@dataclass(frozen=True)
class Thresholds:
    """Where the model's probabilities raise a decision (chosen on held-out folds, recall
    first): P(Nöd) at or above `emergency` makes it Nöd; at or above `possible_emergency` it
    is flagged; P(Nöd) + P(Skyndsamt) at or above `urgent` makes it at least Skyndsamt."""

    emergency: float
    possible_emergency: float
    urgent: float


@dataclass(frozen=True)
class Opinion:
    probabilities: dict[NeedCategory, float]  # empty: the model could read nothing of the text
    known_features: int = 0
    # For the explanation: the text's words the model knows as words, each with its push per
    # class (`TriageModel.word_push`), looked at only when asked.
    known_words: tuple[str, ...] = ()
    word_push: Mapping[str, npt.NDArray[np.float64]] = field(default_factory=dict)

    def probability(self, category: NeedCategory) -> float:
        return self.probabilities.get(category, 0.0)

    def weighed_words(self, toward: NeedCategory, most: int = WEIGHED_WORDS) -> tuple[str, ...]:
        """The words that pushed most toward `toward`, beside their push toward all four. Only
        words of the model's vocabulary (seen in two or more labelled texts), neither common
        nor numbers, are named, so a citizen's name or number never is."""
        if not self.known_words:
            return ()
        row = CLASSES.index(toward)
        pull = {w: float(self.word_push[w][row]) for w in self.known_words}
        ranked = sorted(pull.items(), key=lambda item: -item[1])
        return tuple(word for word, value in ranked[:most] if value > 0)


@dataclass(frozen=True)
class TriageModel:
    version: str
    rules_version: str  # the rules it was trained and its thresholds chosen beside
    thresholds: Thresholds
    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]  # classes x features, in CLASSES order
    intercept: npt.NDArray[np.float64]
    # Feature indices of each word the model knows as a word, worked out once at load: most
    # words of a text are among them. Other words are cut anew each time and never kept.
    _known_words: dict[str, npt.NDArray[np.intp]] = field(default_factory=dict, repr=False)
    # Each known word's push per class (its features' weight x idf), beside its mean push: a
    # text's length and other words scale every word's push alike, so this ranks them.
    word_push: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict, repr=False)

    # The arithmetic's forms of coef, idf and intercept (see `opinion_of`).
    _weights: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 4)), repr=False)
    _idf_squared: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0), repr=False)
    _intercept: tuple[float, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_weights", np.ascontiguousarray((self.coef * self.idf).T))
        object.__setattr__(self, "_idf_squared", self.idf * self.idf)
        object.__setattr__(self, "_intercept", tuple(self.intercept.tolist()))
        for feature, index in self.vocabulary.items():
            if feature.startswith(WORD) and " " not in feature:
                word = feature[len(WORD) :]
                indices = self._indices(word_features(word))
                self._known_words[word] = indices
                if self.idf[index] >= COMMON_IDF and not word.isdigit():
                    push = (self.coef[:, indices] * self.idf[indices]).sum(axis=1)
                    self.word_push[word] = push - push.mean()

    @classmethod
    def from_file(cls, path: Path = DEFAULT_MODEL) -> "TriageModel":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_dict(raw)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{path}: {type(exc).__name__}: {exc}") from None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "TriageModel":
        if not isinstance(raw, dict):
            raise ValueError("a model file holds one JSON object")
        if raw.get("format") != MODEL_FORMAT:
            raise ValueError(f"model format {raw.get('format')!r}, expected {MODEL_FORMAT}")
        classes = tuple(NeedCategory(c) for c in raw["classes"])
        if classes != CLASSES:
            raise ValueError(f"classes {raw['classes']} are not the four need categories")
        vocabulary = {str(k): int(v) for k, v in raw["vocabulary"].items()}
        idf = np.asarray(raw["idf"], dtype=np.float64)
        coef = np.asarray(raw["coef"], dtype=np.float64)
        intercept = np.asarray(raw["intercept"], dtype=np.float64)
        n = len(vocabulary)
        if idf.shape != (n,) or coef.shape != (len(classes), n) or intercept.shape != (4,):
            raise ValueError("vocabulary, idf, coef and intercept do not fit together")
        if sorted(vocabulary.values()) != list(range(n)):
            raise ValueError("vocabulary indices are not 0..n-1")
        t = raw["thresholds"]
        thresholds = Thresholds(
            float(t["emergency"]), float(t["possible_emergency"]), float(t["urgent"])
        )
        if not 0 < thresholds.possible_emergency <= thresholds.emergency <= 1:
            raise ValueError("thresholds must satisfy 0 < possible_emergency <= emergency <= 1")
        return cls(
            version=str(raw["version"]),
            rules_version=str(raw["rules_version"]),
            thresholds=thresholds,
            vocabulary=vocabulary,
            idf=idf,
            coef=coef,
            intercept=intercept,
        )

    def opinion(self, text: str) -> Opinion:
        return self.opinion_of(tokens(text)[:MAX_TOKENS])

    def opinion_of(self, words: list[str]) -> Opinion:
        """The opinion on a text cut into words (`text.tokens`)."""
        known = self._known_words
        own = [known[w] if w in known else self._indices(word_features(w)) for w in words]
        pairs = self._indices([pair_feature(a, b) for a, b in itertools.pairwise(words)])
        every = np.concatenate([*own, pairs])
        if every.size == 0:
            return Opinion(probabilities={})
        # np.unique's own steps, without its checks: the sorted distinct indices, their counts.
        every.sort()
        starts = np.flatnonzero(np.concatenate(([True], every[1:] != every[:-1])))
        indices = every[starts]
        counts = np.diff(np.append(starts, every.size))
        # scikit-learn's sublinear tf x idf with an L2 norm, then the linear scores; idf is
        # folded into the weights at load. Four classes: the softmax is cheaper in Python.
        tf = 1.0 + np.log(counts)
        norm = math.sqrt(float((tf * tf) @ self._idf_squared[indices]))
        scores = (tf @ self._weights[indices]).tolist()
        top = max(s / norm + b for s, b in zip(scores, self._intercept, strict=True))
        exps = [math.exp(s / norm + b - top) for s, b in zip(scores, self._intercept, strict=True)]
        total = sum(exps)
        probabilities = [e / total for e in exps]
        return Opinion(
            probabilities=dict(zip(CLASSES, probabilities, strict=True)),
            known_features=int(indices.size),
            known_words=tuple(dict.fromkeys(w for w in words if w in self.word_push)),
            word_push=self.word_push,
        )

    def _indices(self, names: list[str]) -> npt.NDArray[np.intp]:
        found = [i for i in map(self.vocabulary.get, names) if i is not None]
        return np.array(found, dtype=np.intp) if found else _NO_INDICES
