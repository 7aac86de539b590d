"""Reporting's Faust worker fetches with the platform's short wait, not Faust's 1.5 s: a busy
region's records would otherwise wait behind a fetch of the quiet partitions (kafka_tuning.py);
and, as the platform's other gathering consumers, for FETCH_MIN_BYTES, not Faust's one byte."""

import asyncio
from typing import Any

import faust

from services.reporting.rewind import RewindingConsumer, install_rewinding_consumer
from services.shared.kafka_tuning import FETCH_MIN_BYTES, FETCH_WAIT_MS


def test_the_worker_s_kafka_client_fetches_as_the_platform_s_consumers_do() -> None:
    async def built() -> Any:
        app: Any = faust.App("pkc-fetch-wait-test", broker="kafka://127.0.0.1:9", web_enabled=False)
        install_rewinding_consumer(app)
        assert isinstance(app.consumer, RewindingConsumer)
        # What Faust's consumer thread builds when it starts (nothing connects here).
        return app.consumer._thread._create_worker_consumer(app.transport)

    client = asyncio.run(built())
    assert client._fetch_max_wait_ms == FETCH_WAIT_MS < 1500
    assert client._fetch_min_bytes == FETCH_MIN_BYTES > 1
