"""`python -m bench native`: the pipeline with the contacts submitted straight to Kafka through
the adapter library (pkc/adapter_kafka.py) instead of `POST /contacts`: contacts per second from
the first submission to reporting's windows counting them all, its ratio to the broker's
ceiling measured in the same run, and CPU per contact of every process on the machine; then
the same count by `POST /contacts` on the same platform, the yardstick of that run. Before the
runs, after the warm-up: each process's CPU while no contact comes in (IDLE_SECONDS).

Goals (issue 20), on two cores: 1,200 contacts/s Kafka-native, 700/s by `POST /contacts`, and
1.5 ms of CPU per contact over all processes either way. The load generator is the phone adapter's
library in this process, on the bench's open broker (PLAINTEXT, as `python -m bench system`)."""

import asyncio
import time
import uuid
from pathlib import Path

import httpx

from bench import system
from bench.cpu import cpu_between, jit_cpu, jit_cpu_between, processes_cpu
from bench.results import Figure, Report
from pkc.adapter_kafka import KafkaSubmitter
from pkc.simulation import TokenSource
from schemas import Channel
from schemas.submissions import ContactSubmission
from services.shared.clock import Clock

CONTACTS = system.PIPELINE_CONTACTS  # as many as `bench system` posts, so the two compare
WARM_UP = 1000
GOAL = 1200  # contacts/s through Kafka-native adapters, two cores
# How long the platform is watched with no contact coming in. PKC's own traffic is a few
# contacts a second at its busiest, so this cost, not the cost per contact under load, is most
# of what the platform spends: every consumer's fetches, heartbeats and the services' loops.
IDLE_SECONDS = 10.0


def run(report: Report, workdir: Path, postgres_url: str | None, bootstrap: str) -> None:
    ceiling = asyncio.run(system._ceiling(bootstrap))
    report.add(
        Figure(
            "broker",
            "raw aiokafka produce→consume (ceiling), before the Kafka-native run",
            ceiling,
            "records/s",
            note=f"{system.CEILING_RECORDS:,} records of 600 bytes, acks=all, 1 partition",
        )
    )
    others = asyncio.run(system._groups(bootstrap))
    with system._platform(workdir, bootstrap) as platform:
        intake = system._intake(platform)
        reporting = platform.services["reporting"].url
        clock = platform.clock
        # Started and warmed first (consumer groups joined, tables recovered, code paths run),
        # as `bench system` measures its pipeline after the triage run: not counted.
        asyncio.run(_throughput(bootstrap, reporting, intake, clock, WARM_UP))
        asyncio.run(system._drained(bootstrap, others))
        processes = system.processes_of(platform.services, workdir, bootstrap)
        # Idle with the warm-up's contacts waiting, not the runs' tens of thousands: the
        # queue-state publisher reads every waiting contact at each look.
        idle = _idle_cpu(processes)
        broker = processes.get("broker")
        before = processes_cpu(processes)
        compiled = jit_cpu(broker)
        rate = asyncio.run(_throughput(bootstrap, reporting, intake, clock, CONTACTS))
        after = processes_cpu(processes)
        compiling = jit_cpu_between(compiled, jit_cpu(broker))
        asyncio.run(system._drained(bootstrap, others))
        # The same count by POST /contacts on the same platform, a minute later: the yardstick
        # on a machine whose speed moves from run to run.
        posted = asyncio.run(system._pipeline_throughput(platform.services, intake, clock))
        done = processes_cpu(processes)
    _report(report, rate, ceiling, posted)
    system.report_cpu(report, before, after, CONTACTS, "Kafka-native")
    if broker is not None:
        report.add(
            Figure(
                "cpu",
                "Kafka-native: the broker's JIT compiling per contact",
                compiling / CONTACTS * 1000,
                "ms CPU",
                note="part of the broker's; its compiler threads (pkc/localkafka/broker.py)",
            )
        )
    system.report_cpu(report, after, done, CONTACTS, "POST /contacts")
    _report_idle(report, idle)


def _idle_cpu(processes: dict[str, int]) -> dict[str, float]:
    """Each process's CPU over IDLE_SECONDS with no contact coming in, as a share of a core."""
    began, before = time.monotonic(), processes_cpu(processes)
    time.sleep(IDLE_SECONDS)  # the measured window itself
    elapsed = time.monotonic() - began
    after = processes_cpu(processes)
    return {name: used / elapsed * 100 for name, used in cpu_between(before, after).items()}


def _report_idle(report: Report, shares: dict[str, float]) -> None:
    for name, share in shares.items():
        report.add(Figure("cpu", f"idle: {name}", share, "% of a core"))
    report.add(
        Figure(
            "cpu",
            "idle: all processes",
            sum(shares.values()),
            "% of a core",
            note=f"over {IDLE_SECONDS:.0f} s after the warm-up, no contact coming in",
        )
    )


def _report(report: Report, rate: float, ceiling: float, posted: float) -> None:
    report.add(
        Figure(
            "pipeline",
            "Kafka-native adapter → reporting window",
            rate,
            "contacts/s",
            goal=f"≥ {GOAL:,}/s",
            met=rate >= GOAL,
            note=f"{CONTACTS:,} submissions through pkc/adapter_kafka.py (adapter-phone)",
        )
    )
    report.add(
        Figure("pipeline", "Kafka-native: ratio to the broker's ceiling", rate / ceiling * 100, "%")
    )
    report.add(
        Figure(
            "pipeline",
            "POST /contacts → reporting window, same platform after",
            posted,
            "contacts/s",
            goal=f"≥ {system.HTTP_GOAL:,}/s",
            met=posted >= system.HTTP_GOAL,
            note=f"{system.PIPELINE_CONTACTS:,} contacts; Kafka-native ÷ HTTP {rate / posted:.2f}",
        )
    )


async def _throughput(
    bootstrap: str, reporting: str, intake: system.Intake, clock: Clock, count: int
) -> float:
    """From the first submission to the window counting the last."""
    async with httpx.AsyncClient(timeout=10) as issuer:
        reader = TokenSource(intake.issuer, issuer).signed_in(intake.reader)
        base = await system._offered(issuer, reporting, reader)
        async with KafkaSubmitter(bootstrap, "adapter-phone") as adapter:
            began = time.perf_counter()
            for start in range(0, count, 1000):  # received_at stays close to the clock
                await adapter.submit_all(_submissions(clock, start, min(1000, count - start)))
        counted = await system._counted_at(reporting, reader, base, count, began)
        return count / (counted - began)


def _submissions(clock: Clock, start: int, count: int) -> list[ContactSubmission]:
    now = clock.now()
    return [
        ContactSubmission(
            idempotency_key=f"bench-native-{uuid.uuid4().hex}",
            source="bench",
            region=system.REGIONS[(start + i) % len(system.REGIONS)],
            channel=Channel.PHONE,
            text=system.TEXT,
            received_at=now,
        )
        for i in range(count)
    ]
