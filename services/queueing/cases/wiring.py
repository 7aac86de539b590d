"""The cases' part of queueing's composition root (services/queueing/bootstrap.py builds it):
the use cases over queueing's database, the consumer's handling of `CaseCreated`, the sweep."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from schemas import CaseCreated
from schemas.envelope import Event
from services.queueing.cases.cases import Cases
from services.queueing.cases.citizen import Citizens
from services.queueing.cases.limiter import FailureLimiter
from services.queueing.cases.tables import CASE_TABLES
from services.queueing.settings import QueueingSettings
from services.queueing.store import QueueDb
from services.shared.clock import Clock
from services.shared.db import create_tables
from services.shared.kafka.events import Handler
from services.shared.periodic import every


@dataclass(frozen=True)
class CaseDesk:
    """What the cases' routes and consumer use: staff's use cases, the citizen's, and the
    limiter of wrong secrets per client address (limiter.py says why in process)."""

    cases: Cases
    citizens: Citizens
    wrong_secrets: FailureLimiter


def build_cases(
    db: QueueDb, settings: QueueingSettings, assignable: Callable[[], None] = lambda: None
) -> CaseDesk:
    create_tables(db.engine, *CASE_TABLES)
    cases = Cases(
        db,
        settings.queue_policy(),
        settings.case_secret_key.get_secret_value().encode(),
        timedelta(seconds=settings.request_retention_seconds),
        timedelta(days=settings.case_closed_retention_days),
        assignable,
    )
    limiter = FailureLimiter(
        settings.case_max_wrong_secrets, settings.case_wrong_secret_window_seconds
    )
    return CaseDesk(cases, Citizens(cases), limiter)


def with_cases(handler: Handler, cases: Cases) -> Handler:
    """Queueing's consumer handler, keeping every `CaseCreated` (the operators' and the
    e-services') as a case; everything else goes on to `handler`."""

    async def handle(event: Event) -> Any:
        if isinstance(event, CaseCreated):
            await asyncio.to_thread(cases.record, event)
            return None
        return await handler(event)

    return handle


async def case_sweep(cases: Cases, clock: Clock, interval: float) -> None:
    """Purges what the cases keep past its time, every `interval` seconds (docs/cases.md)."""
    await every(interval, "case sweep", lambda: cases.purge(clock.now()))
