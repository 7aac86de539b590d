"""Intake's status tables and callback outbox on a real database (SQLite and PostgreSQL): a
change and its callback are written together, a redelivered event changes nothing, a contact
is read only by its owner, a claimed callback is not claimed twice, and each attempt is settled
(retried after a backoff, refused for good, delivered)."""

import uuid
from datetime import UTC, datetime, timedelta

from schemas import (
    Abandoned,
    Channel,
    Classified,
    MatterType,
    NeedCategory,
    OperatorPresenceChanged,
    Region,
    Route,
)
from schemas.envelope import Event
from services.intake.callback_store import Attempt, Backoff, CallbackStore
from services.intake.status_store import StatusStore
from services.intake.status_tables import (
    AdapterCallback,
    AppliedEvent,
    CallbackDelivery,
    ContactStatusRow,
)
from services.intake.status_view import load_links
from services.shared.db import create_tables, make_engine

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def stores(database_url: str) -> tuple[StatusStore, CallbackStore]:
    engine = make_engine(database_url)
    create_tables(engine, ContactStatusRow, AppliedEvent, AdapterCallback, CallbackDelivery)
    backoff = Backoff(first_seconds=60, max_seconds=600, lease_seconds=30)
    return StatusStore(engine, load_links()), CallbackStore(engine, backoff)


def nod(contact_id: uuid.UUID) -> Classified:
    return Classified(
        occurred_at=NOW,
        contact_id=contact_id,
        region=Region.SYD,
        channel=Channel.MAIL,
        received_at=NOW,
        category=NeedCategory.EMERGENCY,
        matter=MatterType.ONGOING_CRIME_OR_DANGER,
        priority=1,
        route=Route.EMERGENCY_112,
        rule_id="nod",
        rules_version="1",
    )


def closed_to(contact_id: uuid.UUID, channel: Channel, opens: datetime | None = None) -> Abandoned:
    """Syd's contact turned away while its queue was closed (until `opens`)."""
    return Abandoned(
        occurred_at=NOW,
        contact_id=contact_id,
        region=Region.SYD,
        channel=channel,
        category=NeedCategory.INFORMATION,
        received_at=NOW,
        wait_seconds=0,
        reason="closed",
        opens_at=opens,
    )


def test_a_change_is_written_with_its_callback_once_and_read_by_its_owner_only(
    database_url: str,
) -> None:
    statuses, callbacks = stores(database_url)
    contact = uuid.uuid4()
    statuses.open(contact, "adapter-mail", "syd", "mail", NOW)
    statuses.open(contact, "adapter-mail", "syd", "mail", NOW)  # a retry: still one
    assert not statuses.announce(contact), "no callback registered: nothing planned"
    callbacks.register("adapter-mail", "http://127.0.0.1:9/status", NOW)
    event = nod(contact)
    assert statuses.apply(event, NOW)
    assert not statuses.apply(event, NOW), "a redelivered event changes nothing"
    assert not statuses.apply(nod(uuid.uuid4()), NOW), "not a contact intake accepted"

    status = statuses.get(contact, "adapter-mail")
    assert status is not None
    assert (status.stage, status.sequence) == ("classified", 2)
    assert status.instruction is not None
    assert status.instruction.kind == "call_112"
    assert statuses.get(contact, "adapter-phone") is None
    (row,) = callbacks.of_contact(contact)
    assert (row.key, row.status) == (f"{contact}:2", "pending")


def test_a_batch_of_events_moves_each_status_in_its_own_order_and_a_redelivery_nothing(
    database_url: str,
) -> None:
    """A consumer's fetch in one transaction: two contacts' events interleaved, one of them
    delivered twice within the batch, an event about a contact intake never accepted and one
    that says nothing of a status. Delivered again, the batch changes nothing."""
    statuses, callbacks = stores(database_url)
    callbacks.register("adapter-mail", "http://127.0.0.1:9/status", NOW)
    first, second = uuid.uuid4(), uuid.uuid4()
    for contact in (first, second):
        statuses.open(contact, "adapter-mail", "syd", "mail", NOW)
    classified_first = nod(first)
    turned_away = closed_to(first, Channel.MAIL)
    presence = OperatorPresenceChanged(
        occurred_at=NOW, operator_id="op-1", region=Region.SYD, status="available"
    )
    batch: list[Event] = [
        nod(second),
        classified_first,
        classified_first,  # delivered twice within the batch
        nod(uuid.uuid4()),  # not a contact intake accepted
        presence,  # says nothing of a contact's status
        turned_away,
    ]

    assert statuses.apply_all(batch, NOW)
    assert not statuses.apply_all(batch, NOW), "the batch redelivered changes nothing"

    moved = {contact: statuses.get(contact, "adapter-mail") for contact in (first, second)}
    assert [(s.stage, s.sequence) for s in moved.values() if s] == [
        ("abandoned", 3),
        ("classified", 2),
    ]
    assert [row.key for row in callbacks.of_contact(first)] == [f"{first}:2", f"{first}:3"]
    assert [row.key for row in callbacks.of_contact(second)] == [f"{second}:2"]


def test_a_contact_turned_away_while_closed_keeps_the_next_opening(database_url: str) -> None:
    statuses, _ = stores(database_url)
    contact, opens = uuid.uuid4(), NOW + timedelta(hours=22)
    statuses.open(contact, "adapter-phone", "syd", "phone", NOW)
    turned_away = closed_to(contact, Channel.PHONE, opens)
    statuses.apply(turned_away, NOW)  # no callback registered: only the status moves
    status = statuses.get(contact, "adapter-phone")
    assert status is not None
    assert (status.stage, status.reason, status.opens_at) == ("abandoned", "closed", opens)


def test_a_callback_is_claimed_once_and_each_attempt_settled(database_url: str) -> None:
    statuses, callbacks = stores(database_url)
    callbacks.register("adapter-phone", "http://127.0.0.1:9/status", NOW)
    first, second = uuid.uuid4(), uuid.uuid4()
    for contact in (first, second):
        statuses.open(contact, "adapter-phone", "syd", "phone", NOW)
        assert statuses.announce(contact)
    wall = datetime.now(UTC)
    claimed = callbacks.claim_due(wall)
    assert {c.key for c in claimed} == {f"{first}:1", f"{second}:1"}
    assert all(c.url == "http://127.0.0.1:9/status" and c.secret for c in claimed)
    assert callbacks.claim_due(wall) == [], "a claimed callback is leased"

    by_key = {c.key: c for c in claimed}
    callbacks.settle(Attempt(by_key[f"{first}:1"].delivery_id, False, False, "HTTP 503"), wall)
    callbacks.settle(Attempt(by_key[f"{second}:1"].delivery_id, False, True, "HTTP 410"), wall)
    (retried,) = callbacks.of_contact(first)
    (refused,) = callbacks.of_contact(second)
    assert (retried.status, retried.attempts, refused.status) == ("pending", 1, "refused")
    assert callbacks.claim_due(wall + timedelta(seconds=59)) == [], "backing off"
    (again,) = callbacks.claim_due(wall + timedelta(seconds=61))
    callbacks.settle(Attempt(again.delivery_id, True, True, "HTTP 200"), wall)
    (delivered,) = callbacks.of_contact(first)
    assert (delivered.status, delivered.attempts) == ("delivered", 2)
