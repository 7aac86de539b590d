"""Every consumer the services start is declared in the topic registry (schemas/topics.py)
with every topic it reads: the registry is what creates the topics and their dead-letter topics
(`pkc topics create`, the KafkaTopic manifests), so an undeclared consumer or topic would meet
a missing topic in production."""

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
import pytest

from schemas.access import SERVICES
from schemas.topics import CONSUMERS, Consumer, all_topics
from services.shared.kafka import BatchConsumer, DeadLetterWriter


@dataclass
class Started:
    consumers: list[Consumer] = field(default_factory=list)  # the aiokafka consumer loops
    dead_letter_writers: list[Consumer] = field(default_factory=list)  # every consumer's
    faust_apps: list[Any] = field(default_factory=list)

    def faust_consumers(self) -> list[Consumer]:
        """Who writes dead letters without a consumer loop: the Faust agents."""
        return [c for c in self.dead_letter_writers if c not in self.consumers]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Started:
    """Builds every service as it runs (nothing connects before its lifespan starts) and
    records the consumers, dead-letter writers and Faust apps it builds on the way."""
    record = Started()
    monkeypatch.setenv("PKC_STATE_DIR", str(tmp_path))
    _record_calls(
        monkeypatch, BatchConsumer, lambda _, spec, *a, **k: record.consumers.append(spec)
    )
    _record_calls(
        monkeypatch,
        DeadLetterWriter,
        lambda _, spec, *a, **k: record.dead_letter_writers.append(spec),
    )
    _record_calls(monkeypatch, faust.App, lambda app, *a, **k: record.faust_apps.append(app))
    for service in SERVICES:
        importlib.import_module(f"services.{service}.app").create_app()
    return record


def _record_calls(monkeypatch: pytest.MonkeyPatch, cls: type, seen: Any) -> None:
    original = vars(cls)["__init__"]

    def recording(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", recording)


def test_every_consumer_loop_a_service_starts_is_declared_with_its_topics(
    started: Started,
) -> None:
    assert started.consumers, "the services start consumers"
    for consumer in started.consumers:
        # Equal to a registry entry: the same group, service and topics (so the same DLQ).
        assert consumer in CONSUMERS, f"{consumer.group} is not in schemas.topics.CONSUMERS"


def test_the_faust_agents_read_only_topics_their_registry_entry_declares(
    started: Started,
) -> None:
    (app,) = started.faust_apps
    (declared,) = started.faust_consumers()
    assert declared in CONSUMERS
    read = {name for agent in app.agents.values() for name in agent.channel.topics}
    assert read, "the worker has agents reading topics"
    assert read <= {t.name for t in declared.topics}, "a topic the agent reads is undeclared"


def test_the_registry_declares_no_consumer_the_services_do_not_start(started: Started) -> None:
    assert set(CONSUMERS) == set(started.consumers) | set(started.faust_consumers())
    topics = {t.name for t in all_topics()}
    assert all(c.dead_letter.name in topics for c in started.dead_letter_writers)
