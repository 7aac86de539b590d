"""The worker's Faust monitor still tells Faust when each partition's stream last took an
event (Faust's stalled-stream warnings read it), without its per-event stats
(services/reporting/monitor.py)."""

import asyncio
import time
from typing import Any

from faust.types import TP

from services.reporting.monitor import InboundTimesMonitor
from services.reporting.settings import ReportingSettings
from services.reporting.stream import faust_app


def test_the_worker_s_monitor_keeps_each_stream_s_last_inbound_time() -> None:
    async def built() -> Any:
        app = faust_app(ReportingSettings(kafka_bootstrap_servers="127.0.0.1:9"))
        return app.monitor

    monitor = asyncio.run(built())
    assert isinstance(monitor, InboundTimesMonitor)
    partition = TP("pkc.queue.events", 3)
    before = time.monotonic()
    monitor.on_message_in(partition, 41, object())
    monitor.on_stream_event_in(partition, 41, object(), object())
    assert before <= monitor.stream_inbound_time[partition] <= time.monotonic()
    assert monitor.events_total == 0  # the stats of Faust's web views are not kept
