"""Take-next + answer operations per second with 50 concurrent operators, SQLite and PostgreSQL.

Measured on queueing's store (the atomic database operations the HTTP routes call), and checked:
no contact is ever assigned to two operators.
"""

import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.events import theft_report
from bench.results import Figure, Report
from schemas import Region
from services.queueing.bootstrap import build_core
from services.queueing.domain import Actor
from services.queueing.settings import QueueingSettings
from services.shared.db import make_engine

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
OPERATORS = 50
CONTACTS = 5_000
GOAL = 500.0


def run_on(url: str) -> tuple[float, int, int]:
    settings = QueueingSettings(database_url=url)
    core = build_core(settings, engine=make_engine(url, pool_size=OPERATORS))
    contacts, operators = core.contacts, core.operators
    for _ in range(CONTACTS):
        contacts.enqueue(theft_report(Region.STOCKHOLM, NOW, 30, rule_id="bench"), NOW)
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
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    core.db.engine.dispose()
    return len(taken) / elapsed, len(taken), len(taken) - len(set(taken))


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    targets = [("SQLite", f"sqlite:///{workdir / 'bench-queueing.db'}")]
    if postgres_url:
        targets.append(("PostgreSQL", postgres_url))
    for name, url in targets:
        rate, total, doubles = run_on(url)
        report.add(
            Figure(
                "queueing",
                f"take-next+answer, {OPERATORS} operators, {name}",
                rate,
                "ops/s",
                goal=f"≥ {GOAL:.0f} ops/s, no double assignment",
                met=rate >= GOAL and doubles == 0,
                note=f"{total} contacts, {doubles} assigned twice",
            )
        )
