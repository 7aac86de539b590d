"""How long each consumer's fetches wait on quiet topics (kafka_tuning.py). Reporting's Faust
worker waits the platform's short wait, not Faust's 1.5 s: a busy region's records would
otherwise wait behind a fetch of the quiet partitions."""

import asyncio
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer

from schemas.envelope import Event
from schemas.topics import QUEUEING, REPORTING_MONTHLY, TRIAGE
from services.reporting.monthly.aggregation import Aggregation
from services.reporting.monthly.consumer import MonthlyConsumer
from services.reporting.monthly.store import MonthlyStore
from services.reporting.rewind import RewindingConsumer, install_rewinding_consumer
from services.shared.db import make_engine
from services.shared.kafka import AT_ONCE, EventConsumer, EventProducer
from services.shared.kafka_tuning import FETCH_WAIT_MS

NOWHERE = "127.0.0.1:9"  # nothing connects: the clients are only built


def test_the_worker_s_kafka_client_waits_the_platform_s_fetch_wait() -> None:
    async def built() -> Any:
        app: Any = faust.App("pkc-fetch-wait-test", broker="kafka://127.0.0.1:9", web_enabled=False)
        install_rewinding_consumer(app)
        assert isinstance(app.consumer, RewindingConsumer)
        # What Faust's consumer thread builds when it starts (nothing connects here).
        return app.consumer._thread._create_worker_consumer(app.transport)

    client = asyncio.run(built())
    assert client._fetch_max_wait_ms == FETCH_WAIT_MS < 1500


def test_only_a_consumer_with_no_latency_goal_waits_longer_on_quiet_topics(tmp_path: Path) -> None:
    """The monthly report's consumer may wait as long as its batches gather (fewer fetches for
    the broker to serve while the platform is quiet); the pipeline's wait the platform's."""

    async def clients() -> tuple[AIOKafkaConsumer, ...]:
        producer = EventProducer(NOWHERE, "test")
        store = MonthlyStore(make_engine(f"sqlite:///{tmp_path / 'monthly.db'}"))

        async def ignore(event: Event) -> None:
            return None

        return (
            MonthlyConsumer(
                REPORTING_MONTHLY, NOWHERE, store, Aggregation(), producer
            ).kafka_client(),
            MonthlyConsumer(
                REPORTING_MONTHLY, NOWHERE, store, Aggregation(), producer, flush_seconds=0.01
            ).kafka_client(),
            EventConsumer(QUEUEING, NOWHERE, ignore, producer).kafka_client(),
            EventConsumer(TRIAGE, NOWHERE, ignore, producer, batching=AT_ONCE).kafka_client(),
        )

    monthly, quick_monthly, queueing, triage = asyncio.run(clients())
    assert monthly._fetch_max_wait_ms == 500, "as long as its batches gather (flush_seconds)"
    assert quick_monthly._fetch_max_wait_ms == FETCH_WAIT_MS, "never shorter than the pipeline's"
    assert queueing._fetch_max_wait_ms == triage._fetch_max_wait_ms == FETCH_WAIT_MS
