"""A replayed month into the monthly report: `pkc replay` of a generated month (its own process)
while the monthly consumer counts it, until the report has every contact; then the same month
rebuilt from the start of the topics into a fresh database, which must give the same report.

The goal is a month of national traffic (about 1.5 million contacts, 5.3 million events) in at
most 10 minutes on this machine. PKC_BENCH_MONTH_CONTACTS sets the size (default 1,500,000; a
smaller month is measured as it is and the full month extrapolated from its rate).
"""

import asyncio
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.cpu import children_cpu, own_cpu, process_cpu
from bench.month import write_month
from bench.results import Figure, Report
from domain.service_level import NATIONAL
from pkc.platform import kafka_with_topics, local_broker
from pkc.polling import poll_async
from schemas.topics import Consumer
from services.reporting.monthly import MONTHLY, MonthlyStore, monthly_report
from services.reporting.monthly.aggregation import Aggregation
from services.reporting.monthly.consumer import MonthlyConsumer
from services.shared.db import make_engine
from services.shared.kafka import EventProducer
from services.shared.kafka_admin import create_topics
from services.shared.start_up import freeze_start_up, return_freed_buffers

MONTH = "2024-05"
FULL_MONTH = 1_500_000
GOAL_SECONDS = 120.0  # issue 20's (the monthly report's own issue asked for 600)
CATCH_UP_SECONDS = 3600.0
CONTACTS = int(os.environ.get("PKC_BENCH_MONTH_CONTACTS", str(FULL_MONTH)))


@dataclass
class Cpu:
    """CPU seconds spent, by whom: on a shared machine wall time varies, CPU time less so."""

    consumer: float = 0.0  # this process: the monthly consumer and its database work
    replay: float = 0.0  # the `pkc replay` process
    broker: float = 0.0  # the local Kafka broker (0 with an external one)

    def note(self) -> str:
        return (
            f"CPU s: replay {self.replay:.0f}, consumer {self.consumer:.0f}, "
            f"broker {self.broker:.0f}"
        )


@contextmanager
def broker(workdir: Path) -> Iterator[tuple[str, int | None]]:
    """KAFKA_BOOTSTRAP_SERVERS if set, else a broker of our own for this run (and its pid); every
    registry topic created either way."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        with kafka_with_topics(workdir / "kafka") as bootstrap:
            yield bootstrap, None
        return
    with local_broker(workdir / "kafka", heap="2g") as local:
        yield local.bootstrap, local.running_pid()


async def end_offsets(bootstrap: str, spec: Consumer) -> dict[tuple[str, int], int]:
    client = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await client.start()
    try:
        partitions = [TopicPartition(t.name, p) for t in spec.topics for p in range(t.partitions)]
        ends = await client.end_offsets(partitions)
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}
    finally:
        await client.stop()


async def count_until_caught_up(
    bootstrap: str,
    broker_pid: int | None,
    database_url: str,
    replay: list[str] | None,
    log: Path,
) -> tuple[MonthlyStore, float, float, Cpu]:
    """Runs the consumer (a fresh group: from the start of the topics) and, if given, the
    replay process, until every record up to the topics' ends is committed. Returns the
    store, the wall time, the replay's own wall time and the CPU time each part used."""
    spec = MONTHLY.in_group(f"{MONTHLY.group}-bench-{uuid.uuid4().hex[:8]}")
    await create_topics(bootstrap, (spec.dead_letter,))  # a fresh group's DLQ: not in all_topics
    store = MonthlyStore(make_engine(database_url))
    producer = EventProducer(bootstrap, "bench-monthly")
    await producer.start()
    consumer = MonthlyConsumer(spec, bootstrap, store, Aggregation(), producer)
    # As reporting, whose monthly consumer this is, does: freed buffers leave at once, and
    # what start-up made is frozen.
    return_freed_buffers()
    freeze_start_up()
    began = time.monotonic()
    cpu_began = Cpu(own_cpu(), children_cpu(), process_cpu(broker_pid))
    task = asyncio.create_task(consumer.run())
    replay_seconds = 0.0
    try:
        if replay is not None:
            with log.open("w") as out:
                process = await asyncio.create_subprocess_exec(*replay, stdout=out, stderr=out)
                if await process.wait() != 0:
                    raise RuntimeError(f"replay failed: see {log}")
            replay_seconds = time.monotonic() - began
        ends = await end_offsets(bootstrap, spec)

        async def caught_up() -> bool:
            if task.done():
                task.result()  # raises what stopped the consumer
            return all(consumer.positions.get(tp, 0) >= end for tp, end in ends.items())

        # A bound far past the goal: a stuck consumer ends the run instead of hanging it.
        what = "the monthly consumer to reach the topics' ends"
        await poll_async(caught_up, what, timeout=CATCH_UP_SECONDS, interval=0.2)
        wall = time.monotonic() - began
        cpu = Cpu(
            own_cpu() - cpu_began.consumer,
            children_cpu() - cpu_began.replay,
            process_cpu(broker_pid) - cpu_began.broker,
        )
        return store, wall, replay_seconds, cpu
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    path = workdir / "month.jsonl"
    began = time.monotonic()
    made = write_month(path, MONTH, CONTACTS, seed=7)
    generated = time.monotonic() - began
    print(f"  generated {made.events:,} events of {CONTACTS:,} contacts in {generated:.0f} s")
    with broker(workdir) as (bootstrap, broker_pid):
        replay = [sys.executable, "-m", "pkc.replay_cli", str(path), "--bootstrap", bootstrap]
        sqlite_url = f"sqlite:///{workdir / 'bench-monthly.db'}"
        store, wall, replay_seconds, cpu = asyncio.run(
            count_until_caught_up(bootstrap, broker_pid, sqlite_url, replay, workdir / "replay.log")
        )
        first = monthly_report(store, MONTH, NATIONAL)
        counted = first.national.this_month.contacts
        rate = counted / wall
        full = FULL_MONTH / rate
        report.add(
            Figure(
                "replay",
                f"month replayed into the report, SQLite ({CONTACTS:,} contacts)",
                rate,
                "contacts/s",
                goal=f"1.5 M contacts ≤ {GOAL_SECONDS:.0f} s",
                met=full <= GOAL_SECONDS and counted == CONTACTS,
                note=(
                    f"{made.events:,} events in {wall:.0f} s (publish {replay_seconds:.0f} s); "
                    f"1.5 M → {full:.0f} s; {counted:,} contacts in the report; {cpu.note()}"
                ),
            )
        )
        if postgres_url:
            rebuilt, wall, _, cpu = asyncio.run(
                count_until_caught_up(bootstrap, broker_pid, postgres_url, None, workdir / "-")
            )
            same = monthly_report(rebuilt, MONTH, NATIONAL) == first
            rate = made.events / wall
            report.add(
                Figure(
                    "replay",
                    "month rebuilt from the topics' start, PostgreSQL",
                    rate,
                    "events/s",
                    goal="the same report",
                    met=same,
                    note=(
                        f"{made.events:,} events in {wall:.0f} s; report identical: {same}; "
                        f"{cpu.note()}"
                    ),
                )
            )
