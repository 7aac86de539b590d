"""Reporting on real Kafka: events per second through one worker, and the latency from an
Answered event to the updated window (p50/p95/p99) at a steady 500 events/s."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench import faust_floor
from bench.cpu import process_cpu
from bench.events import answered_call, publish_timed
from bench.results import Figure, Report
from bench.system import processes_of
from pkc.issuer import Issuer, oidc_issuer
from pkc.polling import poll_async
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from pkc.simulation import Credential, TokenSource
from pkc.simulation.signin import SignedIn
from schemas import Answered, Region
from schemas.topics import QUEUE_EVENTS
from services.shared.kafka import EventProducer

THROUGHPUT_EVENTS = 20_000
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


async def _throughput(bootstrap: str, url: str, issuer: Issuer) -> float:
    regions = list(Region)
    events = [answered(regions[i % 7], i) for i in range(THROUGHPUT_EVENTS)]
    began = await publish_timed(bootstrap, "bench-reporting", events, QUEUE_EVENTS)
    expected = THROUGHPUT_EVENTS // 7

    async with httpx.AsyncClient(timeout=5) as http:
        reader = _auditor(issuer, http)

        async def all_counted() -> bool:
            # One read of every region's window (`GET /sla`, as `pkc run`'s status reads them):
            # seven detailed reads every 50 ms had cost the measured worker a tenth of its CPU.
            answer = await http.get(f"{url}/sla", headers=await reader.headers())
            answers = {w["region"]: _answers(w["window"]) for w in answer.json()}
            return all(answers[r.value] >= expected for r in regions)

        await poll_async(
            all_counted,
            f"{expected} answers counted in every region",
            timeout=began + 600 - time.perf_counter(),
            interval=0.05,
        )
    return THROUGHPUT_EVENTS / (time.perf_counter() - began)


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
            # Event times right after the throughput run's: the same window holds both.
            await producer.enqueue(answered(region, THROUGHPUT_EVENTS + i), QUEUE_EVENTS)

    async def watch() -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            reader = _auditor(issuer, client)

            async def observe() -> bool:
                """Stamps each newly counted event with the time its count was seen."""
                count = await counted(client, url, reader, region) - base
                now = time.perf_counter()
                while len(observed) < min(count, total):
                    observed.append(now)
                return len(observed) >= total

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
    service.start()
    try:
        wait_ready([service], timeout=120)
        processes = processes_of({"reporting": service}, workdir, bootstrap)
        processes.pop("load generator")
        before = {name: process_cpu(pid) for name, pid in processes.items()}
        rate = asyncio.run(_throughput(bootstrap, service.url, issuer))
        for name, pid in processes.items():
            used = (process_cpu(pid) - before[name]) / THROUGHPUT_EVENTS
            report.add(Figure("reporting", f"{name} CPU per event", used * 1000, "ms CPU"))
        report.add(
            Figure(
                "reporting",
                "events through one worker",
                rate,
                "events/s",
                goal="≥ 5,000 events/s",
                met=rate >= 5000,
                note=f"{THROUGHPUT_EVENTS} Answered events, 7 regions",
            )
        )
        latencies = asyncio.run(_latency(bootstrap, service.url, issuer))
        report.add_latencies("reporting", f"Answered → window at {LATENCY_RATE}/s", latencies)
    finally:
        service.stop()
    return rate
