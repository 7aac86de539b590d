"""Take-next + answer operations per second with 50 concurrent operators, SQLite and PostgreSQL,
and classified contacts queued per second, one transaction each and a consumer batch to one.

Measured on queueing's store (the atomic database operations the HTTP routes call), and checked:
no contact is ever assigned to two operators.
"""

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from bench.cpu import own_cpu, process_cpu, stat_fields
from bench.events import theft_report
from bench.results import Figure, Report
from schemas import Region
from services.queueing.bootstrap import build_core
from services.queueing.contacts import Contacts
from services.queueing.domain import Actor
from services.queueing.settings import QueueingSettings
from services.shared.db import make_engine

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
OPERATORS = 50
CONTACTS = 5_000
# take-next + answer ops/s: 500 on either store (issue 4), 1,000 on PostgreSQL (issue 20).
GOALS = {"SQLite": 500.0, "PostgreSQL": 1000.0}
BATCH = 500  # records in one fetch: the shared consumer's max_records


@dataclass(frozen=True)
class Measured:
    enqueued_alone: float  # contacts/s queued one transaction each
    enqueued_in_batches: float  # contacts/s queued a consumer batch to a transaction
    taken: float  # take-next+answer ops/s
    total: int
    doubles: int
    client_cpu: float  # seconds: this process, all 50 operators' threads
    server_cpu: float | None  # seconds: the PostgreSQL server's processes, when local


def server_cpu(engine: Engine) -> float | None:
    """CPU seconds so far of a local PostgreSQL server: its postmaster (with the backends it
    has reaped) and its live backends, from /proc. None on SQLite, or a server elsewhere."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    postmaster = _parent(backend)
    try:
        if postmaster is None or Path(f"/proc/{postmaster}/comm").read_text().strip() != "postgres":
            return None
    except OSError:
        return None
    pids = (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    live = sum(process_cpu(pid, gone_ok=True) for pid in pids if _parent(pid) == postmaster)
    return process_cpu(postmaster, reaped_children=True) + live


def _parent(pid: int) -> int | None:
    fields = stat_fields(pid)
    return int(fields[1]) if fields is not None else None  # None: gone meanwhile


def enqueue_rates(contacts: Contacts) -> tuple[float, float]:
    """Half the contacts queued one transaction each, half a consumer batch to a transaction
    (as queueing's consumer does since it queues a fetch's classified contacts together)."""
    arriving = [theft_report(Region.STOCKHOLM, NOW, 30, rule_id="bench") for _ in range(CONTACTS)]
    alone, batched = arriving[: CONTACTS // 2], arriving[CONTACTS // 2 :]
    began = time.perf_counter()
    for classified in alone:
        contacts.enqueue(classified, NOW)
    alone_seconds = time.perf_counter() - began
    began = time.perf_counter()
    for start in range(0, len(batched), BATCH):
        contacts.enqueue_all([(c, None) for c in batched[start : start + BATCH]], NOW)
    batched_seconds = time.perf_counter() - began
    return len(alone) / alone_seconds, len(batched) / batched_seconds


def run_on(url: str) -> Measured:
    settings = QueueingSettings(database_url=url)
    core = build_core(settings, engine=make_engine(url, pool_size=OPERATORS))
    contacts, operators = core.contacts, core.operators
    enqueued_alone, enqueued_in_batches = enqueue_rates(contacts)
    people = [
        operators.sign_in(Actor(f"op-{i}", f"op-{i}"), Region.STOCKHOLM, [], False, NOW)
        for i in range(OPERATORS)
    ]
    taken: list[uuid.UUID] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        operator = people[index]
        mine = []
        while (entry := contacts.take_next(operator.operator_id, NOW)) is not None:
            contacts.answer(operator, entry.contact_id, NOW)
            mine.append(entry.contact_id)
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(OPERATORS)]
    server_began, client_began = server_cpu(core.db.engine), own_cpu()
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    client, server_ended = own_cpu() - client_began, server_cpu(core.db.engine)
    core.db.engine.dispose()
    server = None
    if server_began is not None and server_ended is not None:
        server = server_ended - server_began
    rate, doubles = len(taken) / elapsed, len(taken) - len(set(taken))
    return Measured(enqueued_alone, enqueued_in_batches, rate, len(taken), doubles, client, server)


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    targets = [("SQLite", f"sqlite:///{workdir / 'bench-queueing.db'}")]
    if postgres_url:
        targets.append(("PostgreSQL", postgres_url))
    for name, url in targets:
        measured = run_on(url)
        rate, doubles, goal = measured.taken, measured.doubles, GOALS[name]
        report.add(
            Figure(
                "queueing",
                f"take-next+answer, {OPERATORS} operators, {name}",
                rate,
                "ops/s",
                goal=f"≥ {goal:,.0f} ops/s, no double assignment",
                met=rate >= goal and doubles == 0,
                note=f"{measured.total} contacts, {doubles} assigned twice",
            )
        )
        per_op = [("this process", measured.client_cpu), ("PostgreSQL", measured.server_cpu)]
        for part, seconds in per_op:
            if seconds is not None:
                report.add(
                    Figure(
                        "queueing",
                        f"take-next+answer, {name}: {part}'s CPU per op",
                        seconds / max(1, measured.total) * 1000,
                        "ms CPU",
                    )
                )
        gain = measured.enqueued_in_batches / measured.enqueued_alone
        report.add(
            Figure(
                "queueing",
                f"classified contacts queued, batches of {BATCH}, {name}",
                measured.enqueued_in_batches,
                "contacts/s",
                note=f"{gain:.1f}× the {measured.enqueued_alone:.0f}/s of one transaction each",
            )
        )
