"""Intake's claim of a contact on a real database (SQLite and PostgreSQL): a new contact's
idempotency key, its status and its origin are written in one commit; a claim of the key with
other content writes nothing of its own; a retry of the same content still unpublished finds
them, also when its first claim was made without them (before they were written together).
Marking the claim published plans its `received` callback in the same commit. The same for a
batch of Kafka submissions (services/intake/submissions.py): one transaction each way."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from schemas import ContactReceived, Region
from services.intake.callback_store import Backoff, CallbackStore
from services.intake.ratings import Ratings
from services.intake.status_store import StatusStore
from services.intake.status_tables import (
    AdapterCallback,
    CallbackDelivery,
    ContactStatusRow,
)
from services.intake.status_view import load_links
from services.intake.store import AcceptedContact, AcceptedContacts, Claim, HeldKey
from services.shared.db import NewRow, create_tables, make_engine
from tests.contact_events import received

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def stores(database_url: str) -> tuple[AcceptedContacts, StatusStore, Ratings]:
    engine = make_engine(database_url)
    create_tables(engine, AcceptedContact, ContactStatusRow)
    return AcceptedContacts(engine), StatusStore(engine, load_links()), Ratings(engine)


def _with_callbacks(
    database_url: str,
) -> tuple[Engine, AcceptedContacts, StatusStore, CallbackStore]:
    """The claims, statuses and callbacks of intake, the phone adapter's callback registered:
    marking a claim published plans a delivery to it."""
    engine = make_engine(database_url)
    create_tables(engine, AcceptedContact, ContactStatusRow, AdapterCallback, CallbackDelivery)
    accepted, statuses = AcceptedContacts(engine), StatusStore(engine, load_links())
    callbacks = CallbackStore(engine, Backoff(first_seconds=60, max_seconds=600, lease_seconds=30))
    callbacks.register("adapter-phone", "http://127.0.0.1:9/status", AT)
    return engine, accepted, statuses, callbacks


def _contact() -> ContactReceived:
    return received(AT, region=Region.VAST)


def _claim(
    stores: tuple[AcceptedContacts, StatusStore, Ratings],
    event: ContactReceived,
    fingerprint: str,
    adapter: str,
) -> HeldKey:
    accepted, statuses, ratings = stores
    row = HeldKey(
        key=str(event.contact_id),
        contact_id=event.contact_id,
        fingerprint=fingerprint,
        accepted_at=AT,
    )
    opened = (
        statuses.opening(event.contact_id, adapter, event.region, event.channel, AT),
        ratings.origin_of(event, adapter),
    )
    return accepted.claim(row, opened)


def test_a_new_contact_is_claimed_with_its_status_and_origin_and_a_rival_writes_nothing(
    stores: tuple[AcceptedContacts, StatusStore, Ratings],
) -> None:
    accepted, statuses, ratings = stores
    event = _contact()
    assert _claim(stores, event, "first", "adapter-phone").fingerprint == "first"
    status = statuses.get(event.contact_id, "adapter-phone")
    assert status is not None
    assert (status.stage, status.sequence) == ("received", 1)

    rival = _claim(stores, event, "other words", "adapter-mail")
    assert rival.fingerprint == "first", "the key holds the first content"
    assert statuses.get(event.contact_id, "adapter-mail") is None, "the owner is the first"
    accepted.mark_published((str(event.contact_id), event.contact_id))
    assert ratings.origin(event.contact_id, "adapter-phone") is not None
    assert ratings.origin(event.contact_id, "adapter-mail") is None


def test_a_retry_of_an_unpublished_claim_made_without_them_opens_them(
    stores: tuple[AcceptedContacts, StatusStore, Ratings],
) -> None:
    accepted, statuses, ratings = stores
    event = _contact()
    row = HeldKey(
        key=str(event.contact_id), contact_id=event.contact_id, fingerprint="f", accepted_at=AT
    )
    accepted.claim(row)  # claimed alone, and the process died before opening the rest
    assert statuses.get(event.contact_id, "adapter-phone") is None

    retried = _claim(stores, event, "f", "adapter-phone")
    assert (retried.fingerprint, retried.published) == ("f", False)
    assert statuses.get(event.contact_id, "adapter-phone") is not None
    assert _claim(stores, event, "f", "adapter-phone").key == row.key, "a third: still one"
    accepted.mark_published((str(event.contact_id), event.contact_id))
    assert ratings.origin(event.contact_id, "adapter-phone") is not None


def test_marking_a_claim_published_announces_its_status_in_the_same_commit(
    database_url: str,
) -> None:
    engine, accepted, statuses, callbacks = _with_callbacks(database_url)
    event = _contact()
    key = str(event.contact_id)
    opened = statuses.opening(event.contact_id, "adapter-phone", event.region, event.channel, AT)
    accepted.claim(
        HeldKey(key=key, contact_id=event.contact_id, fingerprint="f", accepted_at=AT),
        [opened],
    )

    mark, announce = (key, event.contact_id), statuses.announce_all_in
    assert accepted.mark_published(mark, announce), "the received status planned"
    assert [d.key for d in callbacks.of_contact(event.contact_id)] == [f"{key}:1"]
    # A racing replica's send: its delivery meets the one planned, the claim stays published.
    assert not accepted.mark_published(mark, announce)
    assert len(callbacks.of_contact(event.contact_id)) == 1, "planned once"
    with Session(engine) as session:
        held = session.get(AcceptedContact, key)
        assert held is not None
        assert held.published


def _row(event: ContactReceived, fingerprint: str = "f") -> HeldKey:
    key = str(event.contact_id)
    return HeldKey(key=key, contact_id=event.contact_id, fingerprint=fingerprint, accepted_at=AT)


def test_a_batch_is_claimed_in_one_go_with_what_each_key_holds(
    stores: tuple[AcceptedContacts, StatusStore, Ratings],
) -> None:
    accepted, statuses, _ = stores
    held_before, fresh, late, twice = _contact(), _contact(), _contact(), _contact()
    _claim(stores, held_before, "first", "adapter-phone")
    accepted.mark_published((str(held_before.contact_id), held_before.contact_id))

    def opened(event: ContactReceived) -> list[NewRow]:
        return [statuses.opening(event.contact_id, "adapter-mail", event.region, "mail", AT)]

    found = accepted.claim_all(
        [
            Claim(_row(held_before, "other words"), opened(held_before)),
            Claim(_row(fresh, "f"), opened(fresh)),
            Claim(_row(late, "l"), opened(late), may_open=False),  # outside the window
            Claim(_row(twice, "t"), opened(twice)),
            Claim(_row(twice, "t2"), opened(twice)),  # the same key again in the batch
        ]
    )
    first, new, refused, once, again = found
    assert first is not None
    assert (first.fingerprint, first.published) == ("first", True), "the key's first content"
    assert new is not None
    assert (new.fingerprint, new.published) == ("f", False)
    assert refused is None, "no key claimed for a submission outside the window"
    assert once is not None
    assert again is not None
    assert (once.fingerprint, again.fingerprint) == ("t", "t"), "the first in the batch holds"
    assert statuses.get(fresh.contact_id, "adapter-mail") is not None
    assert statuses.get(late.contact_id, "adapter-mail") is None
    assert statuses.get(held_before.contact_id, "adapter-mail") is None, "its owner is kept"
    # A contact submitted on Kafka is rated by its adapter's token: its origin names the
    # adapter both ways (services/intake/ratings.py).
    ratings = stores[2]
    fresh_origin = ratings.origin_of(fresh, "kafka:adapter-mail")
    (with_origin,) = accepted.claim_all([Claim(_row(fresh, "f"), [fresh_origin])])
    assert with_origin is not None
    accepted.mark_published((str(fresh.contact_id), fresh.contact_id))
    assert ratings.origin(fresh.contact_id, "subject-of-its-token", "kafka:adapter-mail")
    assert ratings.origin(fresh.contact_id, "kafka:adapter-phone") is None
    # Outside the window, a key held for this very content is found (a late retry).
    (retried,) = accepted.claim_all([Claim(_row(fresh, "f"), opened(fresh), may_open=False)])
    assert retried is not None
    assert retried.key == str(fresh.contact_id)


def test_a_batch_is_marked_published_with_its_announcements_in_one_commit(
    database_url: str,
) -> None:
    engine, accepted, statuses, callbacks = _with_callbacks(database_url)
    events = [_contact() for _ in range(3)]
    accepted.claim_all(
        [
            Claim(_row(e), [statuses.opening(e.contact_id, "adapter-phone", e.region, "phone", AT)])
            for e in events
        ]
    )
    keys = [str(e.contact_id) for e in events]

    marks = [(k, e.contact_id) for k, e in zip(keys, events, strict=True)]
    # The first contact announced already (a racing replica): only its part is undone.
    assert accepted.mark_published(marks[0], statuses.announce_all_in)
    assert accepted.mark_all_published(marks, statuses.announce_all_in)
    for event in events:
        assert len(callbacks.of_contact(event.contact_id)) == 1, "planned once each"
    with Session(engine) as session:
        for key in keys:
            held = session.get(AcceptedContact, key)
            assert held is not None
            assert held.published
