"""Triage's composition root: settings, the classifier, its Kafka producer and consumer.

The app, the tests and the bench assemble triage here and nowhere else. Nothing connects on
import or in `bootstrap`: the producer and consumer start in the app's lifespan.
"""

from dataclasses import dataclass

from schemas.topics import TRIAGE
from services.shared.clock import Clock, make_clock
from services.shared.kafka import AT_ONCE, EventConsumer, EventProducer, kafka_security
from services.triage.classifier import Classifier
from services.triage.handlers import TriageHandler
from services.triage.settings import TriageSettings


@dataclass(frozen=True)
class Triage:
    settings: TriageSettings
    classifier: Classifier
    producer: EventProducer
    consumer: EventConsumer


def build_classifier(settings: TriageSettings) -> Classifier:
    """The classifier of the settings' rules and model files; an invalid one refuses to start."""
    return Classifier.from_file(settings.rules_file, settings.model_file)


def bootstrap(settings: TriageSettings | None = None, clock: Clock | None = None) -> Triage:
    settings = settings or TriageSettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    classifier = build_classifier(settings)
    producer = EventProducer(
        settings.kafka_bootstrap_servers,
        "pkc-triage",
        kafka_security(settings),
        settings.producer_tuning(),
    )
    consumer = EventConsumer(
        TRIAGE,
        settings.kafka_bootstrap_servers,
        TriageHandler(classifier, producer, clock),
        producer,
        batching=AT_ONCE,  # every contact, a Nöd among them, is classified here first
    )
    return Triage(settings, classifier, producer, consumer)
