"""Triage in process: classifications per second and the latency of one, with the learned
second opinion as the service runs it and with the rules alone (the service on Kafka:
system.py)."""

import time
from pathlib import Path

from bench.results import Figure, Report
from schemas import Channel
from services.triage.bootstrap import build_classifier
from services.triage.classifier import Classifier
from services.triage.evaluation import DEFAULT_SET, load_labelled
from services.triage.settings import TriageSettings

GOAL = 5_000.0  # with the model (triage safety)
GOAL_P99_MS = 5.0
SAMPLE = [
    "Någon bryter sig in hos grannen just nu!",
    "Min cykel blev stulen i förra veckan utanför jobbet och jag vill anmäla det",
    "Vilka öppettider har passexpeditionen i Umeå?",
    "Hej, jag har fått konstiga dragningar på mitt kort från en butik jag aldrig besökt",
]


def texts() -> list[tuple[str, Channel]]:
    if DEFAULT_SET.exists():
        return [(item.text, item.channel) for item in load_labelled(DEFAULT_SET)]
    return [(text, Channel.PHONE) for text in SAMPLE]


def _measure(classifier: Classifier, corpus: list[tuple[str, Channel]]) -> tuple[float, float]:
    """Best of three rounds: classifications per second, and the p99 of one, in ms."""
    rounds = max(1, 10_000 // len(corpus))
    best, p99 = 0.0, float("inf")
    for _ in range(3):
        took: list[float] = []
        began = time.perf_counter()
        for _ in range(rounds):
            for text, channel in corpus:
                start = time.perf_counter()
                classifier.classify(text, channel)
                took.append(time.perf_counter() - start)
        best = max(best, len(took) / (time.perf_counter() - began))
        took.sort()
        p99 = min(p99, took[int(len(took) * 0.99)] * 1000)
    return best, p99


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    corpus = texts()
    with_model = build_classifier(TriageSettings())  # what the service loads
    rules_alone = build_classifier(TriageSettings(model_file=None))
    rate, p99 = _measure(with_model, corpus)
    rules_rate, _ = _measure(rules_alone, corpus)
    note = f"{len(corpus)} distinct texts; the rules alone {rules_rate:,.0f}/s"
    report.add(
        Figure(
            "triage",
            "classifications in process, rules + model (best of 3)",
            rate,
            "/s",
            goal=f"≥ {GOAL:,.0f}/s",
            met=rate >= GOAL,
            note=note,
        )
    )
    report.add(
        Figure(
            "triage",
            "one classification, p99",
            p99,
            "ms",
            goal=f"≤ {GOAL_P99_MS:g} ms",
            met=p99 <= GOAL_P99_MS,
            note=f"model {with_model.model_version}",
        )
    )
