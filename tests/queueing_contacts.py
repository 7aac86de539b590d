"""Contacts as triage hands them to queueing, and queueing's use cases on one database, for
the queueing tests."""

import json
import uuid
from datetime import UTC, datetime
from typing import Literal

from sqlmodel import Session, select

from bench.events import theft_report
from schemas import Classified, NeedCategory, QueueName, Region
from services.queueing.bootstrap import build_core
from services.queueing.contact import Contact
from services.queueing.domain import Actor
from services.queueing.settings import QueueingSettings
from services.queueing.tables import Operator, OutboxRecord, QueueEntry

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm, inside service hours


def classified(
    region: Region = Region.VAST,
    priority: int = 3,
    waited: float = 60,
    category: NeedCategory = NeedCategory.CASE_HELP,
    at: datetime = NOW,
    possible_emergency: bool = False,
    low_confidence: bool = False,
) -> Classified:
    """A contact for an operator, classified at `at` after waiting `waited` seconds."""
    return theft_report(
        region,
        at,
        waited,
        category=category,
        priority=priority,
        rule_id="t",
        rules_version="t",
        possible_emergency=possible_emergency,
        low_confidence=low_confidence,
    )


class Queueing:
    """Queueing's use cases as the composition root builds them, on one database."""

    def __init__(self, url: str, closed_outcome: Literal["close", "queue"] = "close"):
        core = build_core(QueueingSettings(database_url=url, closed_outcome=closed_outcome))
        self.db, self.contacts = core.db, core.contacts
        self.operators, self.reinforcements = core.operators, core.reinforcements

    def log_in(
        self, operator_id: str, region: Region, skills: list[QueueName] | None = None
    ) -> Operator:
        """Signs the person in (taking over a session they may have open: a crashed UI)."""
        person = Actor(operator_id, operator_id)
        return self.operators.sign_in(person, region, skills or [], True, NOW)

    def take(self, operator: Operator) -> Contact:
        """The contact take-next hands `operator`; the test fails if there is none."""
        contact = self.contacts.take_next(operator.operator_id, NOW)
        assert contact is not None, f"no contact for {operator.operator_id}"
        return contact

    def events(self) -> list[dict[str, object]]:
        with Session(self.db.engine) as session:
            return [json.loads(r.event_json) for r in session.exec(select(OutboxRecord))]

    def entry(self, contact_id: uuid.UUID) -> QueueEntry:
        with Session(self.db.engine) as session:
            entry = session.get(QueueEntry, contact_id)
            assert entry is not None
            return entry
