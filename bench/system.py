"""The platform on a real broker: the broker's own ceiling, triage through Kafka, contacts per
second from `POST /contacts` to reporting's windows, latency to the window and to an alert, and
each service's resident memory at its peak while live."""

import asyncio
import json
import os
import statistics
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.cpu import cpu_between, processes_cpu
from bench.events import answered_call, publish_timed
from bench.hops import Posted, stage_seconds
from bench.memory import peak_figure, reset_peak
from bench.records import read_from_now
from bench.results import Figure, Report
from bench.watching import stamp_counted, until_counted
from pkc.alert_desk import Received, WebhookReceiver
from pkc.localkafka import LocalKafka
from pkc.paths import cache_dir
from pkc.platform import LocalPlatform, PlatformSetup, running_platform
from pkc.polling import poll_async
from pkc.processes import ServiceProcess
from pkc.simulation import Credential, TokenSource
from pkc.simulation.signin import SignedIn
from schemas import Channel, ContactReceived, Region
from schemas.topics import CONTACTS_CLASSIFIED, CONTACTS_RECEIVED, QUEUE_EVENTS
from services.shared.clock import Clock
from services.shared.kafka import EventProducer

CEILING_RECORDS = 200_000
TRIAGE_CONTACTS = 20_000
PIPELINE_CONTACTS = 10_000
PIPELINE_CONCURRENCY = 64
# POST → window at each rate, and the goal its p99 is held to (ms; None: none). Issue 20's is
# 500 ms at 300 contacts/s; 1 s at 500/s is the first goal the pipeline had; 150/s is inside
# this 2-core machine's capacity, so that figure is latency rather than backlog.
LATENCY_GOALS: dict[int, int | None] = {150: None, 300: 500, 500: 1000}
LATENCY_SECONDS = 10
CPU_GOAL_MS = 1.5  # CPU per contact over all processes, the pipeline's (issue 20)
# Contacts/s by POST /contacts on two cores (issue 20). Issue 8 asked 2,000 with no machine
# named; on this project's two cores issue 20's is the one to meet.
HTTP_GOAL = 700
# A Wednesday morning inside service hours, a day no other benchmark uses.
START = datetime.fromisoformat("2028-03-08T09:00:00+01:00")
TEXT = "Min plånbok blev stulen på bussen i förra veckan och jag vill göra en anmälan."
EMERGENCY = "Det brinner i trapphuset just nu och någon är kvar i lägenheten!"
REGIONS = list(Region)


@dataclass(frozen=True)
class Intake:
    """Where the load generator posts, signed in as the phone adapter (as a real one does); the
    watcher reads reporting's windows as the national supervisor."""

    url: str
    issuer: str
    adapter: Credential
    reader: Credential


def _intake(platform: LocalPlatform) -> Intake:
    provider = platform.issuer.local
    if provider is None:
        raise RuntimeError(
            "PKC_OIDC_ISSUER names another provider: the bench posts as the local realm's "
            "adapter-phone; unset it to let the bench start its own Keycloak"
        )
    drawn = provider.secrets()
    return Intake(
        platform.url("intake"),
        platform.issuer.url,
        Credential.adapter("adapter-phone", drawn.client_secrets["adapter-phone"]),
        Credential.person("supervisor-national", drawn.passwords["supervisor-national"]),
    )


def run(report: Report, workdir: Path, postgres_url: str | None, bootstrap: str) -> None:
    ceiling = asyncio.run(_ceiling(bootstrap))
    report.add(
        Figure(
            "broker",
            "raw aiokafka produce→consume (ceiling)",
            ceiling,
            "records/s",
            note=f"{CEILING_RECORDS:,} records of 600 bytes, acks=all, 1 partition",
        )
    )
    # Groups left by the benchmarks before (their workers are gone) would never drain.
    others = asyncio.run(_groups(bootstrap))
    with _platform(workdir, bootstrap) as platform:
        services, clock, webhook = platform.services, platform.clock, platform.desk.webhook
        intake = _intake(platform)
        rate = asyncio.run(_triage_throughput(bootstrap))
        asyncio.run(_drained(bootstrap, others))  # the next figures must not pay for this backlog
        # The memory figures are the peaks from here on: the platform live. Catching up on
        # this backlog, and on what the benchmarks before left on the broker, is
        # `bench reporting`'s figure; but a process keeps what catching up took (reporting's
        # new worker and monthly store read the topics from their start), so after `bench
        # reporting` in a full `make bench` reporting's figure is its size once caught up on
        # some 65,000 events (162-166 MiB on 2026-12-06, 126-129 when run alone). Since
        # 95537ff it gives freed fetch buffers back, so it keeps less of it: 139.5 and 144.2
        # MiB after `bench reporting system` on 2026-12-07.
        live = service_pids(services)
        for pid in live.values():
            reset_peak(pid)
        report.add(
            Figure(
                "triage",
                "contacts through the service on Kafka",
                rate,
                "contacts/s",
                goal="≥ 2,000/s",
                met=rate >= 2000,
                note=f"{TRIAGE_CONTACTS:,} ContactReceived → Classified",
            )
        )
        processes = processes_of(services, workdir, bootstrap)
        cpu_before = processes_cpu(processes)
        offered = asyncio.run(_pipeline_throughput(services, intake, clock))
        cpu_after = processes_cpu(processes)
        report.add(
            Figure(
                "pipeline",
                "POST /contacts → reporting window",
                offered,
                "contacts/s",
                goal=f"≥ {HTTP_GOAL:,}/s",
                met=offered >= HTTP_GOAL,
                note=f"{PIPELINE_CONTACTS:,} contacts, {PIPELINE_CONCURRENCY} concurrent posts",
            )
        )
        ratio = offered / ceiling
        report.add(
            Figure(
                "pipeline",
                "ratio to the broker's ceiling",
                ratio * 100,
                "%",
                goal="≥ 25 %",
                met=ratio >= 0.25,
            )
        )
        report_cpu(report, cpu_before, cpu_after)
        asyncio.run(_drained(bootstrap, others))
        for rate, goal in LATENCY_GOALS.items():
            latencies, posted = asyncio.run(_window_latency(services, intake, clock, rate))
            report.add_latencies("pipeline", f"POST → window at {rate}/s", latencies, goal)
            for stage, seconds in asyncio.run(stage_seconds(bootstrap, posted)).items():
                if len(seconds) > 1:
                    measure = f"at {rate}/s, {stage}'s stage"
                    report.add_latencies("pipeline", measure, seconds, p99_goal_ms=None)
            asyncio.run(_drained(bootstrap, others))
        alerts = asyncio.run(_alert_latency(bootstrap, clock, webhook))
        report.add(
            Figure(
                "alert",
                "breaching event → webhook delivery (worst)",
                max(alerts) * 1000,
                "ms",
                goal="≤ 2,000 ms",
                met=max(alerts) <= 2.0,
                note=f"median {statistics.median(alerts) * 1000:,.0f} ms, {len(alerts)} regions",
            )
        )
        for name, pid in live.items():
            report.add(peak_figure("memory", name, pid))


def _platform(workdir: Path, bootstrap: str) -> AbstractContextManager[LocalPlatform]:
    """The platform as `pkc run` starts it (its own Keycloak too, unless PKC_OIDC_ISSUER), on
    the bench's broker, quiet and untraced."""
    run_id = uuid.uuid4().hex[:6]  # not `run`: that is this module's benchmark
    settings = {
        "PKC_TRACES_EXPORTER": "none",
        "PKC_LOG_LEVEL": "WARNING",
        "PKC_REPORTING_MIN_VOLUME": "5",
        # Reporting's tables of earlier runs on an external broker must not count here.
        "PKC_REPORTING_FAUST_APP_ID": f"pkc-reporting-system-{run_id}",
        # The monthly follow-up reads the topics from their start into this run's new
        # database. Under the group an earlier benchmark's platform left, `_drained` passed it
        # by (and that group's offsets were at the end anyway) while it re-read everything the
        # benchmarks before had left: in a full `make bench`, during the measured runs.
        "PKC_REPORTING_MONTHLY_GROUP": f"pkc-reporting-monthly-system-{run_id}",
    }
    setup = PlatformSetup(bootstrap, workdir / "system", START, settings=settings)
    return running_platform(setup, ready_timeout=180)


async def _ceiling(bootstrap: str) -> float:
    """What the broker and aiokafka do with no platform code: the goal's yardstick."""
    topic = f"bench.ceiling.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    payload = b"x" * 600
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    try:
        began = time.perf_counter()

        async def produce() -> None:
            batch = []
            for _ in range(CEILING_RECORDS):
                batch.append(await producer.send(topic, payload))
                if len(batch) >= 5000:
                    await asyncio.gather(*batch)
                    batch = []
            await asyncio.gather(*batch)

        async def consume() -> None:
            seen = 0
            while seen < CEILING_RECORDS:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    seen += len(records)

        await asyncio.gather(produce(), consume())
        return CEILING_RECORDS / (time.perf_counter() - began)
    finally:
        await producer.stop()
        await consumer.stop()


async def _groups(bootstrap: str) -> frozenset[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return frozenset(group for group, *_ in await admin.list_consumer_groups())
    finally:
        await admin.close()


async def _drained(bootstrap: str, others: frozenset[str], timeout: float = 900) -> None:
    """Waits until every consumer group but `others` has read everything (lag 0)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await probe.start()
    behind = [0]  # the latest lag, for the error

    async def caught_up() -> bool:
        lag = 0
        for group, *_ in await admin.list_consumer_groups():
            if group in others:
                continue
            offsets = await admin.list_consumer_group_offsets(group)
            ends = await probe.end_offsets(list(offsets)) if offsets else {}
            lag += sum(ends[tp] - meta.offset for tp, meta in offsets.items())
        behind[0] = lag
        return lag == 0

    try:
        await poll_async(caught_up, "the consumers to drain", timeout=timeout, interval=0.5)
    except TimeoutError:
        raise RuntimeError(f"the platform's consumers still {behind[0]} records behind") from None
    finally:
        await probe.stop()
        await admin.close()


async def _triage_throughput(bootstrap: str) -> float:
    """Contacts per second from the first ContactReceived sent to the last Classified seen."""
    now = START
    contacts = [
        ContactReceived(
            occurred_at=now,
            contact_id=uuid.uuid4(),
            region=REGIONS[i % len(REGIONS)],
            channel=Channel.PHONE,
            text=EMERGENCY,  # redirected to 112: never queued, never in `offered`
            source="bench",
        )
        for i in range(TRIAGE_CONTACTS)
    ]
    pending = {c.contact_id for c in contacts}
    consumer = AIOKafkaConsumer(CONTACTS_CLASSIFIED.name, bootstrap_servers=bootstrap)  # no group

    async def all_classified() -> bool:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            for record in records:
                pending.discard(uuid.UUID(json.loads(record.value)["contact_id"]))
        return not pending

    await consumer.start()
    try:
        await read_from_now(consumer)
        began = await publish_timed(bootstrap, "bench-triage", contacts, CONTACTS_RECEIVED)
        what = f"triage to classify {TRIAGE_CONTACTS:,} contacts"
        await poll_async(all_classified, what, timeout=600, interval=0)
    finally:
        await consumer.stop()
    return TRIAGE_CONTACTS / (time.perf_counter() - began)


async def _offered(http: httpx.AsyncClient, client_url: str, reader: SignedIn) -> int:
    answer = await http.get(f"{client_url}/sla", headers=await reader.headers())
    return _offered_in(answer.json())


def _offered_in(rows: list[dict[str, Any]]) -> int:
    """Contacts offered in every region's window, from a `GET /sla` answer."""
    return sum(int(r["window"]["offered"]) for r in rows)


async def _offered_by(client: aiohttp.ClientSession, client_url: str, reader: SignedIn) -> int:
    """`_offered` by aiohttp, for the watchers that look many times a run (this process is
    counted as the load generator: httpx costs several times the CPU per request)."""
    headers = await reader.headers()
    async with client.get(f"{client_url}/sla", headers=headers) as answer:
        answer.raise_for_status()
        return _offered_in(await answer.json())


async def _counted_at(
    client_url: str, reader: SignedIn, base: int, count: int, began: float, timeout: float = 900
) -> float:
    """When (perf_counter) reporting's windows counted `count` contacts more than `base`, the
    first sent at `began`: by aiohttp (`_offered_by`), looks spaced as bench/watching.py spaces
    them."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:

        async def look() -> int:
            return await _offered_by(client, client_url, reader) - base

        what = f"reporting to count {count:,} contacts"
        return await until_counted(look, count, what, timeout=timeout, since=(began, 0))


async def _post_all(
    intake: Intake,
    tokens: TokenSource,
    clock: Clock,
    count: int,
    rate: float | None,
    posted: list[Posted] | None = None,
) -> list[float]:
    """Posts `count` contacts (at `rate` per second, or as fast as possible); returns each
    contact's send time, and adds each accepted one to `posted` if given. Each post carries the
    adapter's token, renewed before it expires."""
    sent: list[float] = []
    semaphore = asyncio.Semaphore(PIPELINE_CONCURRENCY)
    began = time.perf_counter()
    # aiohttp, not httpx: the load generator shares the machine with the platform, and httpx
    # spent about 8 ms of CPU per request, a quarter of the whole pipeline's cost.
    connector = aiohttp.TCPConnector(limit=PIPELINE_CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        base_url=intake.url, connector=connector, timeout=timeout
    ) as client:

        async def post(i: int) -> None:
            async with semaphore:
                if rate:
                    await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
                sent.append(time.perf_counter())
                posted_at = time.time()
                body = {
                    "idempotency_key": f"bench-{uuid.uuid4().hex}",
                    "source": "bench",
                    "region": REGIONS[i % len(REGIONS)].value,
                    "channel": "phone",
                    "text": TEXT,
                    "received_at": clock.now().isoformat(),
                }
                for attempt in range(5):  # an adapter retries with the same key
                    try:
                        auth = await tokens.headers(intake.adapter)
                        async with client.post("/contacts", json=body, headers=auth) as response:
                            response.raise_for_status()
                            if posted is not None:
                                accepted = uuid.UUID((await response.json())["contact_id"])
                                posted.append(Posted(accepted, posted_at))
                        break
                    except aiohttp.ClientConnectionError:
                        if attempt == 4:
                            raise

        await asyncio.gather(*(post(i) for i in range(count)))
    return sent


async def _pipeline_throughput(
    services: dict[str, ServiceProcess],
    intake: Intake,
    clock: Clock,
    count: int = PIPELINE_CONTACTS,
) -> float:
    reporting = services["reporting"].url
    async with httpx.AsyncClient(timeout=10) as issuer:
        tokens = TokenSource(intake.issuer, issuer)
        reader = tokens.signed_in(intake.reader)
        base = await _offered(issuer, reporting, reader)
        began = time.perf_counter()
        await _post_all(intake, tokens, clock, count, rate=None)
        return count / (await _counted_at(reporting, reader, base, count, began) - began)


async def _window_latency(
    services: dict[str, ServiceProcess], intake: Intake, clock: Clock, rate: int
) -> tuple[list[float], list[Posted]]:
    """From each POST to the window that counts it (counts arrive in order of sending, near
    enough: each observed increment is matched to the oldest unmatched send); and the contacts
    posted, for their stages (bench/hops.py)."""
    posted: list[Posted] = []
    async with httpx.AsyncClient(timeout=10) as issuer:
        tokens = TokenSource(intake.issuer, issuer)
        reporting = services["reporting"].url
        latencies = await _window_latency_signed_in(
            reporting, intake, tokens, issuer, clock, rate, posted
        )
    return latencies, posted


async def _window_latency_signed_in(
    reporting: str,
    intake: Intake,
    tokens: TokenSource,
    issuer: httpx.AsyncClient,
    clock: Clock,
    rate: int,
    posted: list[Posted],
) -> list[float]:
    reader = tokens.signed_in(intake.reader)
    base = await _offered(issuer, reporting, reader)
    total = rate * LATENCY_SECONDS
    observed: list[float] = []

    async def watch() -> None:
        # aiohttp and a 100 ms poll: the watcher must not take the CPU it is measuring.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:

            async def all_counted() -> bool:
                count = await _offered_by(client, reporting, reader) - base
                return stamp_counted(observed, count, total)

            what = f"reporting to count {total:,} contacts"
            await poll_async(all_counted, what, timeout=LATENCY_SECONDS + 300, interval=0.1)

    posts = _post_all(intake, tokens, clock, total, rate=rate, posted=posted)
    sent, _ = await asyncio.gather(posts, watch())
    return [o - s for s, o in zip(sorted(sent), observed, strict=True)]


async def _alert_latency(bootstrap: str, clock: Clock, webhook: WebhookReceiver) -> list[float]:
    """Per region: five answers past ten minutes (the minimum volume) make a breach; the time
    from the fifth's acknowledgement by the broker to the alert at the webhook."""
    producer = EventProducer(bootstrap, "bench-alerts")
    await producer.start()
    latencies = []
    try:
        for region in REGIONS:
            before = len(webhook.received)
            for _ in range(5):
                late = answered_call(region, clock.now(), wait_seconds=900)
                await (await producer.enqueue(late, QUEUE_EVENTS))
            cause = time.perf_counter()

            def alerted(received: list[Received], seen: int = before) -> bool:
                return len(received) > seen

            await asyncio.to_thread(webhook.wait_for, alerted, 60, f"an alert for {region.value}")
            latencies.append(time.perf_counter() - cause)
    finally:
        await producer.stop()
    return latencies


def service_pids(services: dict[str, ServiceProcess]) -> dict[str, int]:
    """Each started service's process id, by name."""
    return {name: s.process.pid for name, s in services.items() if s.process is not None}


def processes_of(
    services: dict[str, ServiceProcess], workdir: Path, bootstrap: str
) -> dict[str, int]:
    """The processes that share this machine's cores during the pipeline run: the services,
    the load generator (this process) and the broker when the benchmark started it."""
    pids = service_pids(services)
    pids["load generator"] = os.getpid()
    port = int(bootstrap.rsplit(":", 1)[1])
    broker = LocalKafka(workdir / "kafka", cache_dir(), port=port).running_pid()
    if broker is not None:
        pids["broker"] = broker
    return pids


def report_cpu(
    report: Report,
    before: dict[str, float],
    after: dict[str, float],
    contacts: int = PIPELINE_CONTACTS,
    way: str = "",
    goal_ms: float | None = CPU_GOAL_MS,
) -> None:
    """CPU per contact per process: on a small machine the pipeline is bound by their sum.
    `way`: which way the contacts came in, named before each measure (bench/kafka_native.py).
    `goal_ms`: the sum's goal; None for a run that is not the pipeline's alone (sampled)."""
    label = f"{way}: " if way else ""
    per_contact = {name: used / contacts for name, used in cpu_between(before, after).items()}
    for name, seconds in per_contact.items():
        report.add(Figure("cpu", f"{label}{name} per contact", seconds * 1000, "ms CPU"))
    total = sum(per_contact.values())
    cores = os.cpu_count() or 1
    report.add(
        Figure(
            "cpu",
            f"{label}all processes per contact",
            total * 1000,
            "ms CPU",
            goal=f"≤ {goal_ms:g} ms" if goal_ms is not None else "",
            met=total * 1000 <= goal_ms if goal_ms is not None else None,
            note=f"{cores} cores allow ≈ {cores / total:,.0f}/s; 2,000/s needs ≈ "
            f"{2000 * total:,.0f} cores at this cost",
        )
    )
