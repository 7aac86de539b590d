"""Two replicas of every service on one broker and one PostgreSQL, as the k8s manifests run
them: each replica of each service is killed with -9 while contacts flow and started again,
and every accepted contact is queued and counted exactly once."""

import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pkc.issuer import ISSUER_VARIABLE
from pkc.platform import LocalPlatform, PlatformSetup, local_broker, running_platform
from pkc.polling import poll
from pkc.processes import ServiceProcess
from schemas import Region
from schemas.access import SERVICES
from tests.conftest import fresh_database
from tests.fault.conftest import SIMULATED_START, THEFT_REPORT
from tests.fault.trail import queued_trail
from tests.identities import Identities

# It failed now and then (3 of 7 runs under load) while a partition had no committed offset
# yet: records Faust dropped mid-batch at a rebalance were never read again (the fix is
# services/reporting/rewind.py; 8 of 8 since). On failure it prints each reporting replica's
# /readyz (assignment, lag and fetch state per partition) and what the topics hold.
pytestmark = [pytest.mark.kafka, pytest.mark.waits, pytest.mark.timeout(900)]
REGIONS = (Region.SYD, Region.OST, Region.MITT)
CONTACTS_PER_ROUND = 12


@pytest.fixture(scope="module")
def database(postgres_server: str | None) -> Iterator[str]:
    """A database of the session's PostgreSQL, which both replicas of each service share."""
    if postgres_server is None:
        pytest.skip("no PostgreSQL on this machine (CI installs it)")
    with fresh_database(postgres_server, prefix="replicas") as url:
        yield url


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("replicas")


@pytest.fixture(scope="module")
def bootstrap(state: Path) -> Iterator[str]:
    with local_broker(state / "kafka") as broker:
        yield broker.bootstrap


@pytest.fixture(scope="module")
def platform(
    state: Path, bootstrap: str, identities: Identities, database: str
) -> Iterator[LocalPlatform]:
    settings = {
        "PKC_TRACES_EXPORTER": "none",
        "DATABASE_URL": database,
        ISSUER_VARIABLE: identities.issuer,
    }
    setup = PlatformSetup(bootstrap, state, SIMULATED_START, settings=settings, replicas=2)
    with running_platform(setup, ready_timeout=180) as running:
        yield running


_keys = itertools.count()


def post(platform: LocalPlatform, identities: Identities, region: Region) -> str:
    """Posts like an adapter behind a load balancer: to any intake replica that answers,
    retrying with the same idempotency key until one accepts."""
    key = f"replicas-{next(_keys)}"
    body = {
        "idempotency_key": key,
        "source": "replica-test",
        "region": region.value,
        "channel": "phone",
        "text": THEFT_REPORT,
        "received_at": platform.clock.now().isoformat(),
    }
    intakes = itertools.cycle(platform.replicas["intake"])

    def accepted() -> str | None:
        intake = next(intakes)
        try:
            answer = httpx.post(
                f"{intake.url}/contacts", json=body, headers=identities.adapter(), timeout=15
            )
        except httpx.TransportError:
            return None  # that replica is down: the next one
        if answer.status_code in (200, 202):
            return str(answer.json()["contact_id"])
        assert answer.status_code >= 500, answer.text
        return None

    return poll(accepted, f"an intake replica to accept {key}", timeout=120, interval=0.2)


def offered(platform: LocalPlatform, identities: Identities) -> dict[Region, int]:
    """Each region's offered contacts, from the reporting replica that holds its partition
    (a replica answers for the partitions it owns; the other reads no data for them)."""
    reader = identities.person("supervisor-national")
    seen: dict[Region, int] = {}
    for replica in platform.replicas["reporting"]:
        try:
            rows = httpx.get(f"{replica.url}/sla", headers=reader, timeout=10).json()
        except httpx.TransportError:
            continue
        for row in rows:
            region = Region(row["region"])
            seen[region] = max(seen.get(region, 0), int(row["window"]["offered"]))
    return {region: seen.get(region, 0) for region in REGIONS}


def waiting(platform: LocalPlatform, identities: Identities) -> dict[Region, int]:
    reader = identities.person("supervisor-national")
    states = httpx.get(f"{platform.url('queueing')}/queues", headers=reader, timeout=10).json()
    return {
        Region(s["region"]): int(s["waiting_total"])
        for s in states
        if Region(s["region"]) in REGIONS
    }


def readiness(platform: LocalPlatform, service: str) -> str:
    """Each replica's /readyz (assignment, lag per partition): where a count went missing."""
    answers = []
    for replica in platform.replicas[service]:
        try:
            answers.append(httpx.get(f"{replica.url}/readyz", timeout=10).text)
        except httpx.TransportError as exc:
            answers.append(f"{replica.label}: {type(exc).__name__}")
    return "\n".join(answers)


def all_ready(platform: LocalPlatform, service: str) -> bool:
    """Every replica of `service` says ready (assigned, its tables recovered). Counts read
    while a restarted replica joins are a rebalance's passing state: the partitions it takes
    over count nothing on it until it has recovered them, and nothing on the replica that
    gave them up (a CI run saw Syd and Mitt at 0, then the restarted replica ready)."""
    for replica in platform.replicas[service]:
        try:
            if httpx.get(f"{replica.url}/readyz", timeout=10).status_code != 200:
                return False
        except httpx.TransportError:
            return False
    return True


def kill_and_restart(process: ServiceProcess) -> None:
    process.kill()
    process.start()


@pytest.mark.parametrize("replica", [0, 1])
def test_killing_a_replica_of_every_service_loses_and_doubles_nothing(
    platform: LocalPlatform, bootstrap: str, identities: Identities, replica: int
) -> None:
    before_offered = offered(platform, identities)
    before_waiting = waiting(platform, identities)
    posted = dict.fromkeys(REGIONS, 0)
    for i in range(CONTACTS_PER_ROUND):
        region = REGIONS[i % len(REGIONS)]
        post(platform, identities, region)
        posted[region] += 1
        if i == CONTACTS_PER_ROUND // 3:
            for name in SERVICES:
                kill_and_restart(platform.replicas[name][replica])
    expected_offered = {r: before_offered[r] + posted[r] for r in REGIONS}
    expected_waiting = {r: before_waiting[r] + posted[r] for r in REGIONS}

    def settled() -> bool:
        try:
            return (
                all_ready(platform, "reporting")
                and waiting(platform, identities) == expected_waiting
                and offered(platform, identities) == expected_offered
            )
        except httpx.TransportError:
            return False

    # On a time-out, the assertions below say which count is off, and by how much.
    with contextlib.suppress(TimeoutError):
        poll(settled, "every contact queued and counted once", timeout=240, interval=1.0)
    for process in platform.processes():
        assert process.exit_code() is None, f"{process.label} died:\n{process.tail(40)}"
    # Nothing arrives late to count a contact twice: the counts hold once settled.
    assert waiting(platform, identities) == expected_waiting
    counted = offered(platform, identities)
    off = [region for region in REGIONS if counted[region] != expected_offered[region]]
    trail = queued_trail(bootstrap, off) if off else ""
    assert counted == expected_offered, f"{readiness(platform, 'reporting')}\n{trail}"
