"""What queueing keeps, for how long, and a contact's erasure (docs/retention.md).

The sweep purges on the platform clock, the clock every stored time is written on. Rows still
needed are never touched: a waiting or assigned contact, an unpublished outbox row. Erasure
removes what links the contact to a case or a trace; the counts live in reporting."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import col

from services.queueing.domain import Actor, ContactStatus, IllegalMove
from services.queueing.store import QueueDb
from services.queueing.tables import (
    AuditRecord,
    Callback,
    OutboxRecord,
    QueueEntry,
    RecordedRequest,
)

ACTIVE = (ContactStatus.WAITING.value, ContactStatus.ASSIGNED.value)
ERASED = "contact_erased"  # the audit kind of an erasure


@dataclass(frozen=True)
class Retention:
    entries: timedelta  # a finished contact's queue entry, from its receipt
    outbox: timedelta  # a published outbox row, from its publication
    audit: timedelta  # an audit row, from when it was written


def purge(db: QueueDb, now: datetime, keep: Retention) -> dict[str, int]:
    """Deletes what is past its retention; how many rows of each store."""
    with db.transaction() as tx:
        run = tx.session.connection().execute
        # A row's publication is stamped the first time the sweep sees it published: the
        # relay's own path stays as it was, and the stamp is at most one sweep late.
        run(
            update(OutboxRecord)
            .where(col(OutboxRecord.published).is_(True), col(OutboxRecord.published_at).is_(None))
            .values(published_at=now)
        )
        outbox = run(
            delete(OutboxRecord).where(
                col(OutboxRecord.published).is_(True),
                col(OutboxRecord.published_at) < now - keep.outbox,
            )
        ).rowcount
        entries = run(
            delete(QueueEntry).where(
                col(QueueEntry.status).not_in(ACTIVE),
                col(QueueEntry.received_at) < now - keep.entries,
            )
        ).rowcount
        audit = run(delete(AuditRecord).where(col(AuditRecord.at) < now - keep.audit)).rowcount
    return {"entries": entries, "outbox": outbox, "audit": audit}


def erase_contact(
    db: QueueDb, contact_id: uuid.UUID, auditor: Actor, now: datetime
) -> dict[str, int]:
    """Removes the contact's rows (its queue entry, the answers remembered for it, its published
    events) and audits who erased it. A contact still waiting or assigned is refused: it is
    erased once it has ended, so no operator is left holding nothing."""
    with db.transaction() as tx:
        session = tx.session
        entry = session.get(QueueEntry, contact_id)
        if entry is not None and entry.status in ACTIVE:
            raise IllegalMove("the contact is still in the queue; erase it once it has ended")
        region = entry.region if entry is not None else ""
        run = session.connection().execute
        entries = run(delete(QueueEntry).where(col(QueueEntry.contact_id) == contact_id)).rowcount
        run(delete(Callback).where(col(Callback.contact_id) == contact_id))
        requests = run(
            delete(RecordedRequest).where(col(RecordedRequest.contact_id) == contact_id)
        ).rowcount
        # Its events as JSON name it so (model_dump_json writes no spaces); unpublished rows
        # stay, or the events would be lost.
        outbox = run(
            delete(OutboxRecord).where(
                col(OutboxRecord.published).is_(True),
                col(OutboxRecord.event_json).contains(f'"contact_id":"{contact_id}"'),
            )
        ).rowcount
        erased = {"entries": entries, "requests": requests, "outbox": outbox}
        counts = ", ".join(f"{store}={count}" for store, count in erased.items())
        tx.audit(now, ERASED, region, auditor, contact_id=contact_id, removed=counts)
    return erased
