"""`python -m bench soak --minutes 60`, on demand (not in `make bench`): two replicas of every
service on one broker and one PostgreSQL, contacts posted at a steady rate by adapters that
retry with the same idempotency key, and every `--kill-every` seconds a random replica of a
random service killed with -9 and started again. At the end it prints what was lost, doubled
and dead-lettered (goal 0 / 0 / 0).

Accounting: every contact intake accepted (202 or 200 for a retry) is one expected `offered`
in its region's reporting window; the windows are set longer than the run, so the sum over a
region is its total. Lost = expected − counted, doubled = counted − expected, per region."""

import asyncio
import contextlib
import itertools
import random
import shutil
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.results import RESULTS, Figure, Report
from bench.soak_trail import explain_shortfall
from pkc.platform import LocalPlatform, PlatformSetup, local_broker, running_platform
from pkc.polling import poll
from pkc.simulation import Credential, TokenSource
from schemas import Region
from schemas.access import SERVICES
from schemas.topics import all_topics
from services.reporting.settings import ReportingSettings

# A Tuesday morning inside service hours (the run's clock starts there, at real speed).
START = datetime.fromisoformat("2027-03-09T09:00:00+01:00")
TEXT = "Min cykel blev stulen utanför stationen i förra veckan, jag vill anmäla det."
FAUST_GROUP = ReportingSettings.model_fields["faust_app_id"].default  # its consumer group


def run(
    report: Report,
    workdir: Path,
    postgres_url: str | None,
    minutes: float = 60.0,
    rate: float = 50.0,
    kill_every: float = 30.0,
    victims: tuple[str, ...] = SERVICES,
) -> None:
    if postgres_url is None:
        raise RuntimeError("the soak needs PostgreSQL (Debian's postgresql package)")
    settings = {
        "PKC_TRACES_EXPORTER": "none",
        "PKC_LOG_LEVEL": "WARNING",
        "DATABASE_URL": postgres_url,
        # Every contact of the run stays in its window, and waits (no operators answer).
        "PKC_REPORTING_WINDOW_MINUTES": str(int(minutes) + 30),
        "PKC_QUEUEING_ON_MAX_WAIT": "keep",
    }
    with local_broker(workdir / "soak-kafka", secured=False) as broker:
        setup = PlatformSetup(
            broker.bootstrap, workdir / "soak", START, settings=settings, replicas=2
        )
        with running_platform(setup, ready_timeout=300) as platform:
            accepted, kills = asyncio.run(_soak(platform, minutes * 60, rate, kill_every, victims))
            counted = _settled_counts(platform, accepted)
            dead = asyncio.run(_dead_letters(broker.bootstrap))
            if counted != accepted:
                _explain(platform, accepted, counted)
                short = [r for r in Region if counted[r] < accepted[r]]
                logs = [replica.log_file for replica in platform.replicas["reporting"]]
                explain_shortfall(broker.bootstrap, short, logs)
                kept = RESULTS / f"soak-logs-{datetime.now():%Y%m%dT%H%M%S}"
                shutil.copytree(logs[0].parent, kept)  # the run's directory goes with it
                print(f"the services' logs are kept in {kept}", file=sys.stderr)
    lost = sum(max(0, accepted[r] - counted[r]) for r in Region)
    doubled = sum(max(0, counted[r] - accepted[r]) for r in Region)
    total = sum(accepted.values())
    note = f"{total:,} contacts, {kills} kills, {minutes:g} min at {rate:g}/s, 2 replicas"
    for what, value in (("lost", lost), ("doubled", doubled), ("dead-lettered", dead)):
        report.add(Figure("soak", what, value, "contacts", goal="0", met=value == 0, note=note))


async def _soak(
    platform: LocalPlatform,
    seconds: float,
    rate: float,
    kill_every: float,
    victims: tuple[str, ...],
) -> tuple[Counter[Region], int]:
    accepted: Counter[Region] = Counter()
    refused: Counter[Region] = Counter()
    keys = itertools.count()
    assert platform.issuer.local is not None
    secret = platform.issuer.local.secrets().client_secrets["adapter-phone"]
    ends = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=10) as http:
        adapter = TokenSource(platform.issuer.url, http).signed_in(
            Credential.adapter("adapter-phone", secret)
        )

        async def post(region: Region) -> None:
            body = {
                "idempotency_key": f"soak-{next(keys)}",
                "source": "soak",
                "region": region.value,
                "channel": "phone",
                "text": TEXT,
                "received_at": platform.clock.now().isoformat(),
            }
            for intake in itertools.cycle(platform.replicas["intake"]):
                try:
                    answer = await http.post(
                        f"{intake.url}/contacts", json=body, headers=await adapter.headers()
                    )
                except httpx.TransportError:
                    await asyncio.sleep(0.2)  # that replica is down: the next one
                    continue
                if answer.status_code in (200, 202):
                    accepted[region] += 1
                    return
                if answer.status_code == 422 and "received_at" in answer.text:
                    # Never accepted, and retried past the skew window (intake or the machine
                    # overloaded): the adapter must report it otherwise. Not in the counts.
                    refused[region] += 1
                    return
                if answer.status_code < 500:
                    raise RuntimeError(f"intake refused a contact: {answer.text[:200]}")
                await asyncio.sleep(0.2)

        kills = 0

        async def kill_replicas() -> None:
            """Apart from the posting, so a replica slow to start again never holds it up."""
            nonlocal kills
            rng = random.Random(114)
            while True:
                await asyncio.sleep(kill_every)
                victim = rng.choice(platform.replicas[rng.choice(victims)])
                await asyncio.to_thread(victim.kill)
                await asyncio.to_thread(victim.start)
                kills += 1

        killer = asyncio.create_task(kill_replicas())
        pending: set[asyncio.Task[None]] = set()
        regions = list(Region)
        sent = 0
        began = time.monotonic()
        while time.monotonic() < ends:
            task = asyncio.create_task(post(regions[sent % len(regions)]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
            await asyncio.sleep(max(0.0, began + sent / rate - time.monotonic()))
        killer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await killer  # a replica being started again is left to finish starting
        _, unanswered = await asyncio.wait(set(pending), timeout=600) if pending else ((), ())
        for task in unanswered:
            task.cancel()  # never accepted as far as the adapter knows: not in the counts
        print(f"posted {sent:,} in {time.monotonic() - began:,.0f} s", file=sys.stderr)
        if unanswered:
            print(
                f"still unanswered after 10 min (not counted): {len(unanswered)}", file=sys.stderr
            )
    if refused:
        print(f"refused as too old after retries (not counted): {refused.total()}", file=sys.stderr)
    return accepted, kills


def _settled_counts(platform: LocalPlatform, accepted: Counter[Region]) -> Counter[Region]:
    """Each region's offered count once it stops changing (or equals what was accepted),
    read from whichever reporting replica owns the region's partition."""
    assert platform.issuer.local is not None
    last: list[Counter[Region]] = []

    def counted() -> Counter[Region]:
        token = platform.issuer.local.user_token("auditor")  # type: ignore[union-attr]
        seen: Counter[Region] = Counter()
        for replica in platform.replicas["reporting"]:
            try:
                rows = httpx.get(
                    f"{replica.url}/sla",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                ).json()
            except httpx.TransportError:
                continue
            for row in rows:
                region = Region(row["region"])
                seen[region] = max(seen[region], int(row["window"]["offered"]))
        return seen

    def settled() -> bool:
        last.append(counted())
        if last[-1] == accepted:
            return True
        # Unchanged for 30 s is not enough: a replica recovering its tables after the last
        # kill counts nothing for minutes on a loaded machine. Done when every replica is
        # ready (tables recovered) and the group has read all there is.
        steady = len(last) > 30 and last[-1] == last[-31]
        return steady and _reporting_caught_up(platform)

    with contextlib.suppress(TimeoutError):  # what was counted by then is the figure
        poll(settled, "reporting to count every accepted contact", timeout=1200, interval=1.0)
    return last[-1]


def _reporting_caught_up(platform: LocalPlatform) -> bool:
    """Every reporting replica ready, and the Faust group's lag 0 (their /readyz)."""
    for replica in platform.replicas["reporting"]:
        try:
            answer = httpx.get(f"{replica.url}/readyz", timeout=10)
        except httpx.TransportError:
            return False
        groups = answer.json().get("lag", {})
        worker = groups.get(FAUST_GROUP, {})
        if answer.status_code != 200 or worker.get("total") != 0:
            return False
    return True


def _explain(platform: LocalPlatform, accepted: Counter[Region], counted: Counter[Region]) -> None:
    """Where the counts differ: per region what intake accepted, what queueing holds and
    what reporting counted, then each reporting replica's /readyz (its partitions' lag)."""
    assert platform.issuer.local is not None
    headers = {"Authorization": f"Bearer {platform.issuer.local.user_token('auditor')}"}
    queues = httpx.get(f"{platform.url('queueing')}/queues", headers=headers, timeout=10).json()
    waiting = {Region(q["region"]): int(q["waiting_total"]) for q in queues}
    print("region: accepted / queued in queueing / counted in reporting", file=sys.stderr)
    for region in Region:
        if accepted[region] != counted[region]:
            row = f"{accepted[region]} / {waiting.get(region)} / {counted[region]}"
            print(f"  {region.value}: {row}", file=sys.stderr)
    for replica in platform.replicas["reporting"]:
        try:
            print(httpx.get(f"{replica.url}/readyz", timeout=10).text, file=sys.stderr)
        except httpx.TransportError as exc:
            print(f"{replica.label}: {type(exc).__name__}", file=sys.stderr)


async def _dead_letters(bootstrap: str) -> int:
    """Records in every dead-letter topic."""
    topics = [t.name for t in all_topics() if t.name.startswith("pkc.dlq.")]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in (consumer.partitions_for_topic(topic) or {0})
        ]
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        return sum(ends[p] - starts[p] for p in partitions)
    finally:
        await consumer.stop()
