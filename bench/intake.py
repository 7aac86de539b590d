"""Intake's database work per contact, SQLite and PostgreSQL: the claim (its idempotency key,
its status and its origin, in one transaction for a group of posts) and the mark (published,
its `received` status announced, in another), as `POST /contacts` does them, the rows built as
the handler builds them. CPU per contact on one thread, and contacts per second.

Measured on intake's stores, and checked: every contact's key is held once, published, and its
status is `received`.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.cpu import own_cpu
from bench.results import Figure, Report
from schemas import Channel, ContactReceived, Region
from services.intake.ratings import Ratings
from services.intake.status_store import StatusStore
from services.intake.status_tables import AdapterCallback, CallbackDelivery, ContactStatusRow
from services.intake.status_view import load_links
from services.intake.store import ACCEPTED, AcceptedContact, AcceptedContacts, HeldKey
from services.shared.db import create_tables, make_engine

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
CONTACTS = 6_600
# Posts whose claims share a transaction: the group commit's median at 300 contacts/s.
GROUP = 11
ADAPTER = "adapter-phone"


@dataclass(frozen=True)
class Measured:
    cpu_us: float  # CPU per contact, the rows built, claimed and marked
    rate: float  # contacts/s on one thread
    published: int  # keys held and published afterwards
    received: int  # statuses `received` afterwards


def run_on(url: str) -> Measured:
    engine = make_engine(url)
    create_tables(engine, AcceptedContact, ContactStatusRow, AdapterCallback, CallbackDelivery)
    accepted, statuses = AcceptedContacts(engine), StatusStore(engine, load_links())
    ratings = Ratings(engine)
    events = [
        ContactReceived(
            occurred_at=NOW,
            accepted_at=NOW,
            contact_id=uuid.uuid4(),
            region=Region.STOCKHOLM,
            channel=Channel.PHONE,
            source="bench",
            text="",
        )
        for _ in range(CONTACTS)
    ]
    cpu, began = own_cpu(), time.perf_counter()
    for start in range(0, CONTACTS, GROUP):
        group = []
        for event in events[start : start + GROUP]:  # as services/intake/handlers.py builds
            key = str(event.contact_id)
            row = HeldKey(key, event.contact_id, "f" * 64, NOW)
            opened = (
                statuses.opening(event.contact_id, ADAPTER, event.region, event.channel, NOW),
                ratings.origin_of(event, ADAPTER),
            )
            group.append((row, opened))
        held = accepted.claim_each(group)
        accepted.mark_all_published([(h.key, h.contact_id) for h in held], statuses.announce_all_in)
    cpu, elapsed = own_cpu() - cpu, time.perf_counter() - began
    with engine.connect() as connection:
        ours = ACCEPTED.c.key.in_([str(e.contact_id) for e in events])
        published = connection.scalar(
            select(func.count()).select_from(ACCEPTED).where(ours, ACCEPTED.c.published)
        )
    received = sum(
        1
        for e in events
        if (status := statuses.get(e.contact_id, ADAPTER)) and status.stage == "received"
    )
    engine.dispose()
    return Measured(1e6 * cpu / CONTACTS, CONTACTS / elapsed, int(published or 0), received)


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    targets = [("SQLite", f"sqlite:///{workdir / 'bench-intake.db'}")]
    if postgres_url:
        targets.append(("PostgreSQL", postgres_url))
    for name, url in targets:
        measured = run_on(url)
        whole = measured.published == measured.received == CONTACTS
        note = (
            f"{CONTACTS} contacts in groups of {GROUP}, {measured.rate:.0f} contacts/s on one "
            f"thread; {measured.published} published, {measured.received} `received`"
        )
        report.add(
            Figure(
                "intake",
                f"claim and mark, CPU per contact, {name}",
                measured.cpu_us,
                "µs",
                goal="every contact claimed once, published, `received`",
                met=whole,
                note=note,
            )
        )
