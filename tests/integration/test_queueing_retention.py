"""Queueing forgets what is past its retention and erases a contact on an auditor's request
(real SQLite and PostgreSQL; real tokens from the session's Keycloak)."""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from schemas import Region
from services.queueing.app import app_for
from services.queueing.bootstrap import bootstrap
from services.queueing.domain import Actor
from services.queueing.retention import ERASED, Retention, purge
from services.queueing.settings import QueueingSettings
from services.queueing.tables import AuditRecord, OutboxRecord, QueueEntry
from services.shared.clock import SimulatedClock
from tests.identities import Identities
from tests.queueing_contacts import NOW, Queueing, classified

KEEP = Retention(entries=timedelta(days=30), outbox=timedelta(days=7), audit=timedelta(days=365))


def arrived(queueing: Queueing, days_ago: float, abandoned: bool = True) -> uuid.UUID:
    """A contact queued `days_ago` (and abandoned then, unless told otherwise)."""
    at = NOW - timedelta(days=days_ago)
    event = classified(Region.SYD, at=at)
    queueing.contacts.enqueue(event, at)
    if abandoned:
        queueing.contacts.abandon(event.contact_id, at, "hung_up")
    return event.contact_id


def published_outbox(queueing: Queueing) -> int:
    with Session(queueing.db.engine) as session:
        session.connection().execute(update(OutboxRecord).values(published=True))
        session.commit()
        return len(session.exec(select(OutboxRecord)).all())


def test_the_sweep_purges_finished_entries_published_events_and_old_audit_rows(
    database_url: str,
) -> None:
    queueing = Queueing(database_url)
    old, fresh = arrived(queueing, days_ago=40), arrived(queueing, days_ago=1)
    still_waiting = arrived(queueing, days_ago=40, abandoned=False)
    with queueing.db.transaction() as tx:
        tx.audit(NOW - timedelta(days=400), "old", "syd", Actor.service("test"))
        tx.audit(NOW - timedelta(days=10), "recent", "syd", Actor.service("test"))
    unpublished = queueing.events()
    assert published_outbox(queueing) == len(unpublished) > 0

    first = purge(queueing.db, NOW, KEEP)
    assert first["outbox"] == 0, "a row just seen published is kept its retention from now"
    assert first["entries"] == 1
    assert first["audit"] == 1
    with Session(queueing.db.engine) as session:
        kept = set(session.exec(select(QueueEntry.contact_id)).all())
        kinds = set(session.exec(select(AuditRecord.kind)).all())
    assert old not in kept, "a finished contact past its retention is gone"
    assert {fresh, still_waiting} <= kept, "a fresh one, and one still waiting, stay"
    assert "old" not in kinds
    assert "recent" in kinds

    later = purge(queueing.db, NOW + timedelta(days=8), KEEP)
    assert later["outbox"] == len(unpublished)
    assert queueing.events() == []


@pytest.mark.oidc
def test_an_auditor_erases_a_contact_and_the_audit_names_them(
    database_url: str, state_dir: Path, identities: Identities
) -> None:
    settings = QueueingSettings(
        database_url=database_url, state_dir=state_dir, oidc_issuer=identities.issuer
    )
    process = bootstrap(settings, SimulatedClock(NOW))
    queueing = Queueing(database_url)
    ended, waiting = arrived(queueing, days_ago=1), arrived(queueing, 1, abandoned=False)
    published_outbox(queueing)
    client = TestClient(app_for(process))  # no lifespan: nothing here needs Kafka
    auditor = identities.person("auditor")

    operator = identities.person("operator-stockholm-1")
    assert client.post(f"/contacts/{ended}/erase", headers=operator).status_code == 403
    assert client.post(f"/contacts/{ended}/erase").status_code == 401
    refused = client.post(f"/contacts/{waiting}/erase", headers=auditor)
    assert refused.status_code == 409, "a contact in the queue is erased once it has ended"

    erased = client.post(f"/contacts/{ended}/erase", headers=auditor)
    assert erased.status_code == 200, erased.text
    assert erased.json()["removed"] == {"entries": 1, "requests": 0, "outbox": 2}
    with Session(queueing.db.engine) as session:
        assert session.get(QueueEntry, ended) is None
        audit = session.exec(select(AuditRecord).where(col(AuditRecord.kind) == ERASED)).one()
    assert audit.actor == "auditor"
    assert audit.actor_id == identities.subject(auditor)
    assert str(ended) in audit.detail
    remaining = [e for e in queueing.events() if e.get("contact_id") == str(ended)]
    assert remaining == [], "its published events are gone from the outbox"
    assert any(e.get("contact_id") == str(waiting) for e in queueing.events())
