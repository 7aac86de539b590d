"""Intake's ratings tables on a real database (SQLite and PostgreSQL): a contact is rated once,
a retry of a rating whose publication never completed publishes it, and a contact is known
only to the adapter that posted it, once intake has it in Kafka."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from schemas import Channel, Region
from services.intake.ratings import AlreadyRated, ContactRating, Ratings
from services.intake.store import AcceptedContact, AcceptedContacts, HeldKey
from services.shared.db import create_tables, make_engine
from tests.contact_events import received

AT = datetime(2026, 5, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def tables(database_url: str) -> tuple[AcceptedContacts, Ratings]:
    engine = make_engine(database_url)
    create_tables(engine, AcceptedContact)
    return AcceptedContacts(engine), Ratings(engine)


def _accepted(accepted: AcceptedContacts, ratings: Ratings, adapter: str) -> uuid.UUID:
    event = received(AT, region=Region.MITT, channel=Channel.SOCIAL_MEDIA)
    ratings.remember(event, adapter)
    ratings.remember(event, adapter)  # a retry of the contact: recorded once
    row = HeldKey(
        key=str(event.contact_id), contact_id=event.contact_id, fingerprint="f", accepted_at=AT
    )
    accepted.claim(row)
    return event.contact_id


def test_only_the_posting_adapter_knows_a_published_contact(
    tables: tuple[AcceptedContacts, Ratings],
) -> None:
    accepted, ratings = tables
    contact = _accepted(accepted, ratings, "adapter-social")
    assert ratings.origin(contact, "adapter-social") is None  # not in Kafka yet
    accepted.mark_published((str(contact), contact))
    origin = ratings.origin(contact, "adapter-social")
    assert origin is not None
    assert (origin.region, origin.channel, origin.received_at) == (
        Region.MITT,
        Channel.SOCIAL_MEDIA,
        AT,
    )
    assert ratings.origin(contact, "adapter-phone") is None


def test_a_contact_is_rated_once_and_an_unpublished_rating_may_be_retried(
    tables: tuple[AcceptedContacts, Ratings],
) -> None:
    accepted, ratings = tables
    contact = _accepted(accepted, ratings, "adapter-social")
    ratings.claim(contact, 4, AT)
    ratings.claim(contact, 4, AT)  # the retry of a rating whose publication failed
    with pytest.raises(AlreadyRated):
        ratings.claim(contact, 2, AT)  # another rating: refused even before publication
    ratings.mark_published(contact)
    with pytest.raises(AlreadyRated):
        ratings.claim(contact, 4, AT)


def test_old_contacts_are_forgotten_with_their_ratings(
    tables: tuple[AcceptedContacts, Ratings],
) -> None:
    accepted, ratings = tables
    contact = _accepted(accepted, ratings, "adapter-social")
    accepted.mark_published((str(contact), contact))
    ratings.claim(contact, 5, AT)
    ratings.purge(AT + timedelta(days=7))
    assert ratings.origin(contact, "adapter-social") is None
    with Session(ratings.engine) as session:
        assert session.get(ContactRating, contact) is None
