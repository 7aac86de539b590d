"""Triage: in-process classifications per second (the service on Kafka: system.py)."""

import time
from pathlib import Path

from bench.results import Figure, Report
from schemas import Channel
from services.triage.bootstrap import build_classifier
from services.triage.evaluation import DEFAULT_SET, load_labelled
from services.triage.settings import TriageSettings

GOAL = 20_000.0
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


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    classifier = build_classifier(TriageSettings())  # the rules the service would load
    corpus = texts()
    rounds = max(1, 20_000 // len(corpus))
    best = 0.0
    for _ in range(3):
        began = time.perf_counter()
        for _ in range(rounds):
            for text, channel in corpus:
                classifier.classify(text, channel)
        best = max(best, rounds * len(corpus) / (time.perf_counter() - began))
    report.add(
        Figure(
            "triage",
            "classifications in process (best of 3)",
            best,
            "/s",
            goal=f"≥ {GOAL:,.0f}/s",
            met=best >= GOAL,
            note=f"{len(corpus)} distinct texts",
        )
    )
