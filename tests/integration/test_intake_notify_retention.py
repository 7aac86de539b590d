"""Intake and notify forget what is past its retention and erase a contact on an auditor's
request (real SQLite and PostgreSQL; real tokens from the session's Keycloak)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.intake.store import (
    ERASED_FINGERPRINT,
    AcceptedContact,
    AcceptedContacts,
    Erasure,
    HeldKey,
)
from services.notify.app import app_for as notify_app
from services.notify.bootstrap import Notify, bootstrap
from services.notify.policy import written_emergency_id
from services.notify.retention import ERASED, Retention, purge
from services.notify.settings import NotifySettings
from services.notify.tables import Alert, AlertLog, Delivery, ScheduleText
from services.shared.clock import SimulatedClock
from tests.identities import Identities

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SCHEDULE = """
people:
  syd-day: {name: syd-day, email: syd-day@example.org}
rotations:
  - region: syd
    level: 1
    shifts:
      - {person: syd-day, days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", to: "00:00"}
"""


def accepted(contacts: AcceptedContacts, at: datetime) -> HeldKey:
    contact_id = uuid.uuid4()
    row = HeldKey(key=str(contact_id), contact_id=contact_id, fingerprint="f" * 64, accepted_at=at)
    return contacts.claim(row)


def keys(contacts: AcceptedContacts) -> dict[uuid.UUID, str]:
    with Session(contacts.engine) as session:
        rows = session.exec(select(AcceptedContact)).all()
        return {row.contact_id: row.fingerprint for row in rows}


def test_intake_purges_idempotency_keys_past_their_retention(
    database_url: str, state_dir: Path
) -> None:
    settings = IntakeSettings(database_url=database_url, state_dir=state_dir)
    contacts = intake_app(settings).state.intake.accepted
    old, fresh = accepted(contacts, NOW - timedelta(days=8)), accepted(contacts, NOW)
    assert contacts.purge(NOW - timedelta(days=settings.key_retention_days)) == 1
    assert set(keys(contacts)) == {fresh.contact_id}, f"{old.contact_id} is gone, fresh stays"


@pytest.mark.oidc
def test_an_auditor_erases_a_contact_from_intake(
    database_url: str, state_dir: Path, identities: Identities
) -> None:
    settings = IntakeSettings(
        database_url=database_url, state_dir=state_dir, oidc_issuer=identities.issuer
    )
    app = intake_app(settings, SimulatedClock(NOW))
    contacts: AcceptedContacts = app.state.intake.accepted
    erased, other = accepted(contacts, NOW), accepted(contacts, NOW)
    client = TestClient(app)  # no lifespan: nothing here needs Kafka
    path = f"/contacts/{erased.contact_id}/erase"
    assert client.post(path, headers=identities.adapter("adapter-phone")).status_code == 403
    assert client.post(path, headers=identities.person("operator-stockholm-1")).status_code == 403

    auditor = identities.person("auditor")
    answer = client.post(path, headers=auditor)
    assert answer.status_code == 200, answer.text
    assert answer.json()["removed"] == {"keys": 1}
    assert keys(contacts) == {erased.contact_id: ERASED_FINGERPRINT, other.contact_id: "f" * 64}
    with Session(contacts.engine) as session:
        record = session.exec(select(Erasure)).one()
    assert record.contact_id == erased.contact_id
    assert record.erased_by == "auditor"
    assert record.erased_by_subject == identities.subject(auditor)


def notify_on(database_url: str, tmp_path: Path, issuer: str | None = None) -> Notify:
    seed = tmp_path / "oncall.yaml"
    seed.write_text(SCHEDULE)
    settings = NotifySettings(
        database_url=database_url, state_dir=tmp_path, schedule_file=seed, oidc_issuer=issuer
    )
    return bootstrap(settings, SimulatedClock(NOW))


def delivery(alert_id: uuid.UUID, n: int, status: str, at: datetime, body: str = "{}") -> Delivery:
    return Delivery(
        alert_id=alert_id,
        key=f"{alert_id}|{n}",
        region="syd",
        level=1,
        transport="webhook",
        recipient="syd-day",
        address="https://hooks.example.org/syd-day",
        subject="subject",
        body=body,
        status=status,
        next_at=at,
    )


def written_alert(notify: Notify, contact_id: uuid.UUID) -> uuid.UUID:
    """A written emergency's alert about the contact, delivered once and pending once."""
    alert_id = written_emergency_id(contact_id)
    facts = json.dumps({"contact_id": str(contact_id), "region": "syd"})
    with Session(notify.engine) as session:
        session.add(
            Alert(alert_id=alert_id, region="syd", kind="written", created_at=NOW, facts=facts)
        )
        body = json.dumps({"contact_id": str(contact_id)})
        session.add(delivery(alert_id, 1, "delivered", NOW, body))
        session.add(delivery(alert_id, 2, "pending", NOW, body))
        session.commit()
    return alert_id


def test_notify_purges_final_deliveries_and_replaced_schedules_past_their_retention(
    database_url: str, tmp_path: Path
) -> None:
    notify = notify_on(database_url, tmp_path)
    alert_id = uuid.uuid4()
    with Session(notify.engine) as session:
        session.add(delivery(alert_id, 1, "delivered", NOW - timedelta(days=100)))
        session.add(delivery(alert_id, 2, "delivered", NOW - timedelta(days=1)))
        session.add(delivery(alert_id, 3, "pending", NOW - timedelta(days=100)))
        session.commit()
    notify.schedules.replace(SCHEDULE, NOW - timedelta(days=400))  # replaced by the next
    current = notify.schedules.replace(SCHEDULE, NOW - timedelta(days=399))
    keep = Retention(timedelta(days=90), timedelta(days=365), timedelta(days=5 * 365))

    purge(notify.engine, notify.schedules, NOW, keep)
    with Session(notify.engine) as session:
        left = sorted(d.key for d in session.exec(select(Delivery)))
        versions = [s.id for s in session.exec(select(ScheduleText))]
    assert left == [f"{alert_id}|2", f"{alert_id}|3"], "fresh and pending deliveries stay"
    assert current.number in versions, "the current schedule stays however old"
    assert len(versions) == 2, "the seed (saved now) stays; the replaced old version is gone"


@pytest.mark.oidc
def test_an_auditor_erases_a_contact_from_notify(
    database_url: str, tmp_path: Path, identities: Identities
) -> None:
    notify = notify_on(database_url, tmp_path, identities.issuer)
    contact_id = uuid.uuid4()
    alert_id = written_alert(notify, contact_id)
    client = TestClient(notify_app(notify))  # no lifespan: nothing here needs Kafka
    path = f"/contacts/{contact_id}/erase"
    oncall = identities.person("oncall-vast")
    assert client.post(path, headers=oncall).status_code == 403

    auditor = identities.person("auditor")
    answer = client.post(path, headers=auditor)
    assert answer.status_code == 200, answer.text
    assert answer.json()["removed"] == {"alerts": 1, "deliveries": 2}
    with Session(notify.engine) as session:
        alert = session.get(Alert, alert_id)
        messages = list(session.exec(select(Delivery)))
        logged = session.exec(select(AlertLog).where(AlertLog.action == "erased")).one()
    assert alert is not None
    assert alert.facts is None
    assert all(str(contact_id) not in m.body and m.body == ERASED for m in messages)
    assert sorted(m.status for m in messages) == ["delivered", "failed"], "none sent any more"
    assert logged.person == "auditor"
    assert logged.subject == identities.subject(auditor)
