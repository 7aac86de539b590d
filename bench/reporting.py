"""Reporting on real Kafka: events per second through one worker, and the latency from an
Answered event to the updated window (p50/p95/p99) at a steady 500 events/s.

The worker's rate is timed on records already on their topic when it starts, from the first
counted event it is seen to hold to the last, as Faust's floor (bench/faust_floor.py), which
it is read against, is timed: the worker alone. Its rate while the bench's producer is still
publishing, as this bench timed it up to 2026-12-05, follows the load beside it on a small
machine's cores as much as the worker (the producer's and the broker's CPU); it is printed
after, from the first send."""

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench import faust_floor
from bench.cpu import cpu_between, process_cpu, processes_cpu
from bench.events import answered_call, publish_timed
from bench.memory import peak_figure
from bench.results import Figure, Report
from bench.system import processes_of
from bench.watching import stamp_counted, until_counted
from pkc.issuer import Issuer, oidc_issuer
from pkc.polling import poll_async
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from pkc.simulation import Credential, TokenSource
from pkc.simulation.signin import SignedIn
from schemas import Answered, Region
from schemas.topics import QUEUE_EVENTS
from services.shared.kafka import EventProducer

# A multiple of the seven regions, so each holds the same number (20,000 gave one region 2,858
# and the rest 2,857: a run ended before that region's last, and the next run's base was off).
REGIONS = len(Region)
THROUGHPUT_EVENTS = REGIONS * 2_858
LATENCY_RATE = 500
LATENCY_SECONDS = 10
# Event times of their own (a far-off day): the bench's windows are its alone.
DAY = datetime(2028, 3, 1, 8, 0, tzinfo=UTC)


def answered(region: Region, i: int) -> Answered:
    return answered_call(region, DAY + timedelta(milliseconds=50 * i), wait_seconds=40)


async def counted(http: httpx.AsyncClient, url: str, reader: SignedIn, region: Region) -> int:
    """Answers counted in the region's window, read as the auditor reads them."""
    answer = await http.get(f"{url}/sla/{region.value}", headers=await reader.headers())
    return _answers(answer.json()["window"])


def _answers(window: dict[str, int]) -> int:
    return int(window["answered_within"] + window["answered_late"])


def _events(first: int) -> list[Answered]:
    """THROUGHPUT_EVENTS answers from the `first`-th on, the same number in each region."""
    regions = list(Region)
    return [answered(regions[i % REGIONS], i) for i in range(first, first + THROUGHPUT_EVENTS)]


async def _publish_before_start(bootstrap: str) -> None:
    """The first run's events, on their topic (made with the broker: bench/__main__.py) before
    the worker starts."""
    await publish_timed(bootstrap, "bench-reporting", _events(0), QUEUE_EVENTS)


@dataclass(frozen=True)
class Run:
    events: int  # counted between the first and the last look
    seconds: float
    cpu_seconds: float  # the worker's, over the same span

    @property
    def rate(self) -> float:
        return self.events / self.seconds


async def _counted_run(
    url: str, issuer: Issuer, pid: int, before: int, began: tuple[float, float] | None
) -> Run:
    """Watches the worker count the answers after the `before` each region held, reading every
    region's window in one `GET /sla` (as `pkc run`'s status reads them: seven detailed reads
    every 50 ms had cost the measured worker a tenth of its CPU), spaced as bench/watching.py
    spaces looks. Timed from `began` (the first send, and the worker's CPU then), or when None
    from the first look that finds any counted (the worker may still be starting: a look it
    cannot answer is skipped), to the look that finds them all; the worker's CPU is read at
    each look."""
    per_region = THROUGHPUT_EVENTS // REGIONS
    looks: list[tuple[float, float, int]] = []  # (when, the worker's CPU, answers counted)

    async with httpx.AsyncClient(timeout=5) as http:
        reader = _auditor(issuer, http)

        async def look() -> int | None:
            """Answers counted in every region, each up to the run's share (all regions hold
            theirs once it reaches REGIONS x `per_region`)."""
            try:
                answer = await http.get(f"{url}/sla", headers=await reader.headers())
            except httpx.TransportError:
                return None  # not listening yet
            if answer.status_code != httpx.codes.OK:
                return None  # not ready yet
            answers = {w["region"]: _answers(w["window"]) - before for w in answer.json()}
            counted = sum(max(0, answers[r.value]) for r in Region)
            looks.append((time.perf_counter(), process_cpu(pid), counted))
            return sum(min(max(0, answers[r.value]), per_region) for r in Region)

        what = f"{REGIONS * per_region} answers, {per_region} in every region"
        since = None if began is None else (began[0], 0)
        await until_counted(look, REGIONS * per_region, what, timeout=600, since=since)
    first = next(seen for seen in looks if seen[2] > 0) if began is None else (*began, 0)
    last = looks[-1]
    if last[2] - first[2] < THROUGHPUT_EVENTS / 2:
        raise RuntimeError("the worker had counted most of the events before it was first seen")
    return Run(last[2] - first[2], last[0] - first[0], last[1] - first[1])


async def _published_run(bootstrap: str, url: str, issuer: Issuer, pid: int) -> Run:
    """The second run's events, sent while the worker counts them: timed from the first send."""
    cpu = process_cpu(pid)
    began = await publish_timed(
        bootstrap, "bench-reporting", _events(THROUGHPUT_EVENTS), QUEUE_EVENTS
    )
    return await _counted_run(url, issuer, pid, THROUGHPUT_EVENTS // REGIONS, (began, cpu))


def _auditor(issuer: Issuer, http: httpx.AsyncClient) -> SignedIn:
    """The local realm's auditor, signed in through the token source (renewed as needed)."""
    assert issuer.local is not None, "the bench starts its own provider"
    password = issuer.local.secrets().passwords["auditor"]
    return TokenSource(issuer.url, http).signed_in(Credential.person("auditor", password))


async def _latency(bootstrap: str, url: str, issuer: Issuer) -> list[float]:
    region = Region.MITT
    async with httpx.AsyncClient(timeout=5) as http:
        base = await counted(http, url, _auditor(issuer, http), region)
    producer = EventProducer(bootstrap, "bench-reporting-latency")
    await producer.start()
    sent: list[float] = []
    observed: list[float] = []
    total = LATENCY_RATE * LATENCY_SECONDS

    async def send() -> None:
        for i in range(total):
            target = start + i / LATENCY_RATE
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            sent.append(time.perf_counter())
            # Event times right after the throughput runs': the same window holds all three.
            await producer.enqueue(answered(region, 2 * THROUGHPUT_EVENTS + i), QUEUE_EVENTS)

    async def watch() -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            reader = _auditor(issuer, client)

            async def observe() -> bool:
                """Stamps each newly counted event with the time its count was seen."""
                count = await counted(client, url, reader, region) - base
                return stamp_counted(observed, count, total)

            what = f"all {total} events counted"
            await poll_async(observe, what, timeout=LATENCY_SECONDS + 120, interval=0.01)

    start = time.perf_counter()
    await asyncio.gather(send(), watch())
    await producer.stop()
    return [o - s for s, o in zip(sent, observed, strict=True)]


def run(report: Report, workdir: Path, postgres_url: str | None, bootstrap: str) -> None:
    with oidc_issuer(workdir / "oidc") as issuer:
        rate = _run(report, workdir, bootstrap, issuer)
    floors = faust_floor.run(report, workdir, bootstrap)
    report.add(
        Figure(
            "reporting",
            "one worker's rate against Faust's floor",
            rate / floors["count"] * 100,
            "%",
            note=(
                f"of an agent that only counts; {rate / floors['write'] * 100:,.0f} % of one "
                "that writes a table key per record (bench/faust_floor.py)"
            ),
        )
    )


def _run(report: Report, workdir: Path, bootstrap: str, issuer: Issuer) -> float:
    """Reporting's throughput and latency figures; returns its events per second."""
    service = ServiceProcess(
        "reporting",
        free_port(),
        workdir / "logs",
        {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PKC_STATE_DIR": str(workdir / "reporting"),
            "PKC_TRACES_EXPORTER": "none",
            "PKC_LOG_LEVEL": "WARNING",
            "PKC_REPORTING_FAUST_APP_ID": f"pkc-reporting-bench-{uuid.uuid4().hex[:6]}",
            **issuer.env(),
        },
    )
    asyncio.run(_publish_before_start(bootstrap))
    service.start()
    try:
        assert service.process is not None
        pid = service.process.pid
        alone = asyncio.run(_counted_run(service.url, issuer, pid, 0, None))
        wait_ready([service], timeout=120)
        report.add(
            Figure(
                "reporting",
                "reporting CPU per event",
                alone.cpu_seconds / alone.events * 1000,
                "ms CPU",
                note="the worker's, on records already on their topic",
            )
        )
        report.add(
            Figure(
                "reporting",
                "events through one worker",
                alone.rate,
                "events/s",
                goal="≥ 5,000 events/s",
                met=alone.rate >= 5000,
                note=(
                    f"{alone.events:,} of {THROUGHPUT_EVENTS:,} Answered events (7 regions) on "
                    "their topic before it started, from the first counted to the last"
                ),
            )
        )
        note = f"started {THROUGHPUT_EVENTS:,} events behind, as after an outage"
        report.add(peak_figure("reporting", "reporting", pid, note))
        processes = processes_of({"reporting": service}, workdir, bootstrap)
        processes.pop("load generator")
        before = processes_cpu(processes)
        published = asyncio.run(_published_run(bootstrap, service.url, issuer, pid))
        for name, used in cpu_between(before, processes_cpu(processes)).items():
            per_event = used / THROUGHPUT_EVENTS
            report.add(
                Figure(
                    "reporting", f"{name} CPU per event while published", per_event * 1000, "ms CPU"
                )
            )
        report.add(
            Figure(
                "reporting",
                "events through one worker while published",
                published.rate,
                "events/s",
                note=(
                    f"{THROUGHPUT_EVENTS:,} more, timed from the first send while the bench "
                    "publishes them (this bench's figure up to 2026-12-05)"
                ),
            )
        )
        latencies = asyncio.run(_latency(bootstrap, service.url, issuer))
        report.add_latencies("reporting", f"Answered → window at {LATENCY_RATE}/s", latencies)
    finally:
        service.stop()
    return alone.rate
