"""Outages are waited out, never dead-lettered: a dependency down or locked mid-stream delays
contacts, and afterwards every accepted contact is queued and counted exactly once, with
nothing in any DLQ. Readiness says not ready while it lasts. And a failure injected into
reporting's Faust agent is retried, while a record it refuses is dead-lettered with the reason.

The issue's full lengths, in `make test`: the 120 s SQLite lock here, the 60 s PostgreSQL stop
in test_database_outage.py.
"""

import asyncio
import itertools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from pkc.polling import poll
from schemas import Region
from schemas.topics import REPORTING
from tests.fault.conftest import FaultPlatform, unless_restarting
from tests.fault.test_crashes import wait_for_offered
from tests.fault.trail import queued_trail
from tests.kafka_helpers import DeadLetter, read_until

# The full outage plus the platform's start (counted in the first test) pass the 300 s default.
pytestmark = [pytest.mark.kafka, pytest.mark.waits, pytest.mark.outage, pytest.mark.timeout(900)]

# Past SQLite's 30 s busy timeout (services/shared/db.py): queueing's writes fail, and retry.
_keys = itertools.count()
Outage = Callable[[], AbstractContextManager[None]]


@contextmanager
def write_lock(database: Path) -> Iterator[None]:
    """Another connection holding SQLite's write lock (BEGIN IMMEDIATE) until the block ends."""
    holder = sqlite3.connect(database, isolation_level=None, timeout=60)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def post_round(platform: FaultPlatform, name: str) -> list[str]:
    """One contact per region, as an adapter posts them (retrying until accepted)."""
    return [platform.post_contact(f"{name}-{next(_keys)}", region) for region in Region]


def stream_through_outage(
    platform: FaultPlatform, outage: Outage, seconds: float, watched: str
) -> None:
    """Posts contacts before, during and after `outage` (held `seconds`), and checks that
    `watched` was not ready during it and every accepted contact is queued and counted once."""
    before_waiting, before_offered = platform.waiting(), platform.offered()
    before_dead = platform.dead_letters()
    posted = post_round(platform, "before")
    with outage():
        began = time.monotonic()
        posted += post_round(platform, "during")
        poll(
            lambda: not platform.ready(watched),
            f"{watched}'s /readyz to say not ready during the outage",
            timeout=seconds,
            interval=0.5,
        )
        # Holding the fault for its full length is the fault itself, not a synchronisation.
        time.sleep(max(0.0, seconds - (time.monotonic() - began)))
    posted += post_round(platform, "after")
    rounds = len(posted) // len(Region)
    expected = {r: before_offered.get(r, 0) + rounds for r in Region}
    wait_for_offered(platform, expected)
    try:
        poll(
            unless_restarting(lambda: platform.waiting() == before_waiting + len(posted)),
            "queueing to queue every accepted contact",
            timeout=120,
            interval=0.25,
        )
    except TimeoutError:
        assert platform.waiting() == before_waiting + len(posted)  # shows how far off
        raise
    poll(lambda: platform.ready(watched), f"{watched} to be ready again", timeout=60)
    assert platform.waiting() == before_waiting + len(posted), "each queued exactly once"
    counted = platform.offered()
    off = [region for region in expected if counted.get(region) != expected[region]]
    assert counted == expected, queued_trail(platform.broker.bootstrap, off)
    assert platform.dead_letters() == before_dead, "an outage dead-letters nothing"
    platform.assert_all_alive()


def test_a_two_minute_write_lock_on_queueing_is_waited_out(
    fault_platform: FaultPlatform,
) -> None:
    database = fault_platform.state_dir / "queueing.db"
    stream_through_outage(fault_platform, lambda: write_lock(database), 120, "queueing")


def write_faults(platform: FaultPlatform, plan: dict[str, object]) -> None:
    """Replaces the faults file at once: reporting never reads half of it."""
    draft = platform.faults_file.with_suffix(".draft")
    draft.write_text(json.dumps(plan))
    draft.replace(platform.faults_file)


def test_reporting_retries_an_outage_and_dead_letters_a_refused_record_with_its_reason(
    fault_platform: FaultPlatform,
) -> None:
    platform = fault_platform
    before_offered, before_dead = platform.offered(), platform.dead_letters()
    write_faults(platform, {"outage": True})
    stuck = post_round(platform, "stuck")
    poll(
        lambda: not platform.ready("reporting"),
        "reporting's /readyz to say its agent is waiting out the outage",
        timeout=60,
    )
    refused = platform.post_contact(f"refused-{next(_keys)}", Region.SYD)
    write_faults(platform, {"outage": False, "refuse": [refused]})
    after = post_round(platform, "after")
    # Every contact counted but the refused one: the stuck round was retried, not skipped.
    expected = {r: before_offered.get(r, 0) + 2 for r in Region}
    wait_for_offered(platform, expected)
    platform.faults_file.unlink()
    assert len(stuck) == len(after) == len(Region)

    dlq = REPORTING.dead_letter.name
    records = asyncio.run(
        read_until(platform.broker.bootstrap, dlq, lambda r: len(r) > before_dead[dlq])
    )
    dead = [DeadLetter.of(r) for r in records[before_dead[dlq] :]]
    assert {d.reason for d in dead} == {"rejected: injected refusal of this contact"}
    assert all(refused.encode() in (d.value or b"") for d in dead), "only the refused one"
    assert all(d.attempts == 1 for d in dead), "poison is not retried"
    others = {k: v for k, v in platform.dead_letters().items() if k != dlq}
    assert others == {k: v for k, v in before_dead.items() if k != dlq}
    poll(lambda: platform.ready("reporting"), "reporting to be ready again", timeout=60)
    platform.assert_all_alive()
