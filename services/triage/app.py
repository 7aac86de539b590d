"""The triage process: a Kafka consumer with health endpoints (composition root)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from schemas.topics import TRIAGE
from services.shared.clock import Clock, make_clock
from services.shared.http import harden, health_router
from services.shared.kafka import EventConsumer, EventProducer
from services.shared.runtime import running
from services.triage.classifier import Classifier
from services.triage.handlers import TriageHandler
from services.triage.settings import TriageSettings


def create_app(settings: TriageSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or TriageSettings()
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    classifier = Classifier.from_file(settings.rules_file)  # an invalid file refuses to start
    producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-triage")
    consumer = EventConsumer(
        TRIAGE,
        settings.kafka_bootstrap_servers,
        TriageHandler(classifier, producer, clock),
        producer,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(producer, (consumer,)):
            yield

    app = FastAPI(title="PKC triage", version="1", lifespan=lifespan)
    harden(app)

    async def ready() -> dict[str, Any]:
        return {"consumer_assigned": consumer.assigned.is_set(), "rules": classifier.version}

    app.include_router(health_router(ready))
    return app
