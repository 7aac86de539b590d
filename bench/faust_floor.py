"""Faust's own floor on this machine: what one worker takes per second when its agent does
nothing but count the records, and when it also writes one changelogged table key per record
(as reporting's dedupe memory did for every event, before services/reporting/seen.py wrote it
once per commit). Reporting's worker does more than either, so its rate (bench/reporting.py)
is read against these, as the pipeline's is against the broker's ceiling: a goal above the
counting agent's rate is above anything a Faust worker reaches here.

Each is its own worker process, started after the records are on their topic (a topic of its
own, partitioned as reporting's input), timed from its first record to its last."""

import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.events import answered_call, publish_timed
from bench.results import Figure, Report
from schemas import Region
from schemas.topics import QUEUE_EVENTS, Topic
from services.shared.kafka_admin import create_topics

RECORDS = 20_000
MODES = {
    "count": "an agent that only counts",
    "write": "an agent that writes one table key per record",
}
WORKER_TIMEOUT_SECONDS = 600
RESULT = re.compile(r'\{"per_second": [^}]*\}')
DAY = datetime(2028, 4, 1, 8, 0, tzinfo=UTC)  # what the records say does not matter here


def run(report: Report, workdir: Path, bootstrap: str) -> dict[str, float]:
    """Measures both agents; returns each mode's records per second."""
    topic = Topic("pkc.bench.faust-floor", QUEUE_EVENTS.partitions, "region", ())
    asyncio.run(_published(bootstrap, topic))
    rates: dict[str, float] = {}
    for mode, what in MODES.items():
        result = _worker(workdir, bootstrap, topic, mode)
        rates[mode] = result["per_second"]
        report.add(
            Figure(
                "faust floor",
                what,
                result["per_second"],
                "records/s",
                note=f"{result['cpu_per_record'] * 1e6:,.0f} µs CPU per record, one worker",
            )
        )
    return rates


async def _published(bootstrap: str, topic: Topic) -> None:
    await create_topics(bootstrap, (topic,))
    regions = list(Region)
    events = [
        answered_call(regions[i % len(regions)], DAY + timedelta(seconds=i), wait_seconds=40)
        for i in range(RECORDS)
    ]
    await publish_timed(bootstrap, "bench-faust-floor", events, topic)


def _worker(workdir: Path, bootstrap: str, topic: Topic, mode: str) -> dict[str, float]:
    datadir = workdir / f"faust-floor-{mode}"
    environment = {
        **os.environ,
        "PKC_FLOOR_BOOTSTRAP": bootstrap,
        "PKC_FLOOR_TOPIC": topic.name,
        "PKC_FLOOR_PARTITIONS": str(topic.partitions),
        "PKC_FLOOR_RECORDS": str(RECORDS),
        "PKC_FLOOR_MODE": mode,
        "PKC_FLOOR_DATADIR": str(datadir),
    }
    command = [sys.executable, "-m", "bench.faust_floor_worker", "worker", "--loglevel", "warn"]
    done = subprocess.run(
        command,
        env=environment,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT_SECONDS,
        check=False,
    )
    return result_of(mode, done.stdout + done.stderr)


def result_of(mode: str, output: str) -> dict[str, float]:
    """The worker's result, wherever its JSON went: Faust's worker logs what its process
    prints (as a warning, on stderr)."""
    found = RESULT.findall(output)
    if not found:
        raise RuntimeError(f"the {mode} worker printed no result: {output[-1000:]}")
    result: dict[str, float] = json.loads(found[-1])
    return result
