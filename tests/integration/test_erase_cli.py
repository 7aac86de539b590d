"""`pkc erase`'s calls, against the three services that keep contact data (real apps on one
real database each run, real tokens): a contact's data is gone from each, a refusal stops the
rest."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pkc.erase_cli import erase_everywhere
from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.intake.store import ERASED_FINGERPRINT, AcceptedContact
from services.notify.app import app_for as notify_app
from services.notify.tables import Alert
from services.queueing.app import app_for as queueing_app
from services.queueing.bootstrap import bootstrap as queueing
from services.queueing.settings import QueueingSettings
from services.queueing.tables import QueueEntry
from services.shared.clock import SimulatedClock
from tests.identities import Identities
from tests.integration.test_intake_notify_retention import NOW, accepted, notify_on, written_alert
from tests.queueing_contacts import Queueing, classified

pytestmark = pytest.mark.oidc


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def test_pkc_erase_removes_the_contact_from_every_service(
    database_url: str, tmp_path: Path, identities: Identities
) -> None:
    issuer = identities.issuer
    intake = intake_app(
        IntakeSettings(database_url=database_url, state_dir=tmp_path, oidc_issuer=issuer)
    )
    key = accepted(intake.state.intake.accepted, NOW)
    contact_id = key.contact_id
    queue = Queueing(database_url)
    event = classified(at=NOW).model_copy(update={"contact_id": contact_id})
    queue.contacts.enqueue(event, NOW)
    queue.contacts.abandon(contact_id, NOW, "hung_up")
    notify = notify_on(database_url, tmp_path, issuer)
    alert_id = written_alert(notify, contact_id)
    settings = QueueingSettings(database_url=database_url, state_dir=tmp_path, oidc_issuer=issuer)
    clients = {
        "intake": TestClient(intake),
        "queueing": TestClient(queueing_app(queueing(settings, SimulatedClock(NOW)))),
        "notify": TestClient(notify_app(notify)),
    }

    operator = token(identities.person("operator-stockholm-1"))
    refused = erase_everywhere(contact_id, operator, clients)
    assert [(o.service, o.status) for o in refused] == [("queueing", 403)], "stops at once"

    done = erase_everywhere(contact_id, token(identities.person("auditor")), clients)
    assert [(o.service, o.status) for o in done] == [
        ("queueing", 200),
        ("intake", 200),
        ("notify", 200),
    ]
    with Session(queue.db.engine) as session:
        assert session.get(QueueEntry, contact_id) is None
        stored_key = session.exec(select(AcceptedContact)).one()
        alert = session.get(Alert, alert_id)
    assert stored_key.fingerprint == ERASED_FINGERPRINT
    assert alert is not None
    assert alert.facts is None
