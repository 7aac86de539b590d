"""The queueing database: one transaction per state change, its events in the same commit."""

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from schemas.envelope import Event
from services.queueing.closing import AUDIT, OUTBOX, REQUEST, write_closing_rows
from services.queueing.domain import Actor, AuditQuery
from services.queueing.repository import ContactRepository
from services.queueing.tables import ALL_TABLES, AuditRecord, Operator
from services.shared.db import create_tables
from services.shared.tracing import current_traceparent

# How many write transactions a process runs at once on PostgreSQL; the others wait their turn
# here. Every request thread (FastAPI's pool has 40) otherwise runs its own, and beyond a few
# the threads only contend for the interpreter's lock: 50 operators' take + answer ran at 271
# ops/s with 50 at once, 345 with 4, 335 with 8, 328 with 2, and this process's CPU per op fell
# from 3.8 to 2.9 ms (scratch runs of bench/queueing.py's work on one PostgreSQL, 2026-12-05).
# Once its statements ran prepared (services/shared/prepared.py) this process's part of an op
# shrank, and two at once did better than four: `python -m bench queueing` with the number set
# from outside, 2026-12-07 02:35-02:50, alternated, 50 operators on PostgreSQL: 4 -> 2 gave
# 459 -> 506, 365 -> 429, 344 -> 398, 406 -> 422, 408 / 405 and 350 / 398 ops/s, this process's
# CPU per op 2.1-2.7 -> 1.8-2.3 ms; one at a time 223 / 269, three 307 / 357. Offers to 50 open
# desks (`python -m bench offers`, two pairs, a slow hour) no slower: PostgreSQL p99 735 / 1,548
# ms with 4, 775 / 882 with 2.
POSTGRES_WRITERS = 2


@dataclass
class Tx:
    """A unit of work: the session, the contacts in it, plus the events, audit records and
    answered requests it will commit (as plain values, inserted together at the end, see
    services/queueing/closing.py: nothing in a transaction reads them back, and an ORM row
    each cost more than the move it records)."""

    session: Session
    contacts: ContactRepository
    events: list[tuple[Event, str | None]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def lock_operator(self, operator_id: str) -> Operator | None:
        """The operator's row, locked until the transaction ends (PostgreSQL; SQLAlchemy leaves
        FOR UPDATE out on SQLite, whose writers run one at a time).

        A transaction that changes an operator and a contact locks the operator's row first,
        before any contact's: the order an open desk locks them in (Offers.desk). A move that
        locked the contact first and then updated the operator deadlocked with the desk on
        PostgreSQL (tests/integration/test_queueing_lock_order.py)."""
        return self.session.get(Operator, operator_id, with_for_update=True)

    def emit(self, event: Event, traceparent: str | None = None) -> None:
        """Queues the event for the outbox, with the trace it belongs to (default: the
        current one), so the relay publishes it in that trace."""
        self.events.append((event, traceparent or current_traceparent()))

    def audit(
        self,
        at: datetime,
        kind: str,
        region: str,
        actor: Actor,
        order_id: uuid.UUID | None = None,
        **detail: object,
    ) -> None:
        text = ", ".join(f"{k}={v}" for k, v in detail.items() if v is not None)
        self.audits.append(
            {
                "at": at,
                "kind": kind,
                "order_id": order_id,
                "region": region,
                "actor": actor.name,
                "actor_id": actor.subject,
                "detail": text[:400],
            }
        )


class QueueDb:
    def __init__(self, engine: Engine, on_commit: Callable[[], None] = lambda: None):
        self.engine = engine
        self.on_commit = on_commit  # wakes the outbox relay
        self.postgres = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time; queueing its writers on a lock here beats SQLite's
        # busy handler, which sleeps and retries. On PostgreSQL a few at once: see
        # POSTGRES_WRITERS. (Never nested: a transaction opens no other.)
        self._writer: AbstractContextManager[object] = (
            threading.BoundedSemaphore(POSTGRES_WRITERS) if self.postgres else threading.Lock()
        )
        create_tables(engine, *ALL_TABLES)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._writer, Session(self.engine, expire_on_commit=False) as session:
            tx = Tx(session, ContactRepository(session, lock_rows=self.postgres))
            yield tx
            # `published` given, not left to its column default: SQLAlchemy fills in no default
            # for an insert nested as a CTE, so closing.py's combined statement wrote NULL.
            outbox: list[dict[str, Any]] = [
                {"event_json": e.model_dump_json(), "traceparent": t, "published": False}
                for e, t in tx.events
            ]
            closing = {OUTBOX: outbox, AUDIT: tx.audits, REQUEST: tx.requests}
            write_closing_rows(session.connection(), closing)
            session.commit()
        if tx.events:
            self.on_commit()

    @contextmanager
    def reading(self) -> Iterator[ContactRepository]:
        """Contacts to read, outside any writer's turn."""
        with Session(self.engine) as session:
            yield ContactRepository(session, lock_rows=False)

    def audit_log(self, wanted: AuditQuery) -> list[AuditRecord]:
        """The newest audit rows first, narrowed by person (user name or subject), region and
        time."""
        query = select(AuditRecord)
        if wanted.person is not None:
            query = query.where(
                (AuditRecord.actor == wanted.person) | (AuditRecord.actor_id == wanted.person)
            )
        if wanted.region is not None:
            query = query.where(AuditRecord.region == wanted.region.value)
        if wanted.since is not None:
            query = query.where(col(AuditRecord.at) >= wanted.since)
        if wanted.until is not None:
            query = query.where(col(AuditRecord.at) < wanted.until)
        query = query.order_by(col(AuditRecord.id).desc()).limit(wanted.limit)
        with Session(self.engine) as session:
            return list(session.exec(query))
