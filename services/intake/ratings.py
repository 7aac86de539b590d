"""Satisfaction: after a contact, the adapter that posted it may post the citizen's rating
(1-5) and a comment, once: `POST /contacts/{id}/rating` publishes `ContactRated`
(schemas/ratings.py), which reporting's monthly follow-up counts per region and channel.

Intake keeps what a rating needs of each contact it accepts (its origin: the adapter's
subject, region, channel and time of receipt, no personal data) and which contacts have been
rated. A contact another adapter posted, one never accepted, or one whose publication never
completed is unknown: 404, the same answer whether it exists or not. A second rating: 409.

The comment is not kept and not forwarded, only whether there was one (`commented`). Free text
from a citizen may name people or give a phone number or a personal identity number; a scrubber
catches numbers but not every name, and what it misses would sit on a topic and in the monthly
store. The figures are counts and means: a comment's words would not enter them anyway.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Protocol

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field as Column
from sqlmodel import Session, SQLModel

from schemas import Channel, ContactReceived, Region
from schemas.ratings import ContactRated, Rating
from schemas.submissions import kafka_adapter
from services.intake.domain import BrokerUnavailable
from services.intake.settings import IntakeSettings
from services.intake.store import ACCEPTED
from services.shared.clock import Clock
from services.shared.db import NewRow, create_tables, insert_absent
from services.shared.http import caller
from services.shared.identity import Principal, Role
from services.shared.kafka import EventProducer

MAX_COMMENT_CHARS = 2000


class ContactOrigin(SQLModel, table=True):
    """Who posted a contact and where it belongs: what a rating of it is checked against."""

    __tablename__ = "intake_contact_origin"

    contact_id: uuid.UUID = Column(primary_key=True)
    adapter: str = Column(max_length=255)  # the adapter's token subject (a service account)
    region: str = Column(max_length=20)
    channel: str = Column(max_length=20)
    received_at: datetime
    accepted_at: datetime = Column(index=True)


class ContactRating(SQLModel, table=True):
    """A contact's one rating; `published` once ContactRated is durably in Kafka."""

    __tablename__ = "intake_contact_rating"

    contact_id: uuid.UUID = Column(primary_key=True)
    rating: int
    rated_at: datetime
    published: bool = False


ORIGINS = ContactOrigin.__table__  # type: ignore[attr-defined]
RATINGS = ContactRating.__table__  # type: ignore[attr-defined]


class AlreadyRated(Exception):
    """The contact has a rating already (409)."""


@dataclass(frozen=True)
class Origin:
    region: Region
    channel: Channel
    received_at: datetime


class Ratings:
    """Intake's ratings tables (created here, in intake's database)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        create_tables(engine, ContactOrigin, ContactRating)

    @staticmethod
    def origin_of(event: ContactReceived, adapter: str) -> NewRow:
        """A contact's origin, recorded before it is published: with its claim (store.py)."""
        return NewRow(
            ORIGINS,
            {
                "contact_id": event.contact_id,
                "adapter": adapter[:255],
                "region": event.region.value,
                "channel": event.channel.value,
                "received_at": event.occurred_at,
                "accepted_at": event.accepted_at or event.occurred_at,
            },
        )

    def remember(self, event: ContactReceived, adapter: str) -> None:
        """Records a contact's origin on its own (again on a retry, or by a racing one: kept
        as first recorded)."""
        with self.engine.begin() as connection:
            insert_absent(connection, [self.origin_of(event, adapter)])

    def origin(self, contact_id: uuid.UUID, *adapters: str) -> Origin | None:
        """The contact's origin if one of `adapters` (one adapter's names: its token subject,
        its Kafka name) submitted it and it is in Kafka, else None."""
        query = (
            select(ORIGINS.c.region, ORIGINS.c.channel, ORIGINS.c.received_at)
            .join(ACCEPTED, ACCEPTED.c.contact_id == ORIGINS.c.contact_id)
            .where(
                ORIGINS.c.contact_id == contact_id,
                ORIGINS.c.adapter.in_(adapters),
                ACCEPTED.c.published.is_(True),
            )
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        received = row.received_at
        if received.tzinfo is None:  # SQLite gives naive times; all are stored in UTC
            received = received.replace(tzinfo=UTC)
        return Origin(Region(row.region), Channel(row.channel), received)

    def claim(self, contact_id: uuid.UUID, rating: int, now: datetime) -> None:
        """Records the rating; AlreadyRated if one is recorded, unless it is this very rating
        whose publication never completed (the adapter's retry publishes it)."""
        with Session(self.engine) as session:
            session.add(ContactRating(contact_id=contact_id, rating=rating, rated_at=now))
            try:
                session.commit()
                return
            except IntegrityError:
                session.rollback()
            held = session.get(ContactRating, contact_id)
        if held is None or held.published or held.rating != rating:
            raise AlreadyRated

    def mark_published(self, contact_id: uuid.UUID) -> None:
        with Session(self.engine) as session:
            statement = update(RATINGS).where(RATINGS.c.contact_id == contact_id)
            session.connection().execute(statement.values(published=True))
            session.commit()

    def purge(self, older_than: datetime) -> None:
        """Forgets contacts accepted before `older_than` (intake's key retention): a rating
        comes soon after the contact, and an old contact can no longer be rated."""
        with Session(self.engine) as session:
            old = select(ORIGINS.c.contact_id).where(ORIGINS.c.accepted_at < older_than)
            session.connection().execute(delete(RATINGS).where(RATINGS.c.contact_id.in_(old)))
            session.connection().execute(delete(ORIGINS).where(ORIGINS.c.accepted_at < older_than))
            session.commit()


class RatingSubmission(BaseModel):
    """The body of POST /contacts/{id}/rating."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rating: Rating
    comment: str = Field(
        default="",
        max_length=MAX_COMMENT_CHARS,
        description="the citizen's words: only whether there is one is kept (never the text)",
    )


class RatingAccepted(BaseModel):
    contact_id: uuid.UUID
    rating: int
    comment_kept: bool = Field(description="always false: a comment's text is never stored")


def rated_event(
    contact_id: uuid.UUID, origin: Origin, submission: RatingSubmission, now: datetime
) -> ContactRated:
    """The event of a rating; its id derives from the contact, so a retry is the same event."""
    return ContactRated(
        event_id=uuid.uuid5(contact_id, ContactRated.EVENT_TYPE),
        occurred_at=now,
        contact_id=contact_id,
        region=origin.region,
        channel=origin.channel,
        rating=submission.rating,
        commented=bool(submission.comment),
        received_at=origin.received_at,
    )


class IntakeLike(Protocol):
    """What the route needs of intake (services/intake/bootstrap.py's Intake)."""

    @property
    def ratings(self) -> Ratings: ...
    @property
    def settings(self) -> IntakeSettings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def producer(self) -> EventProducer: ...


Adapter = Annotated[Principal, caller(Role.ADAPTER)]
router = APIRouter(tags=["satisfaction"])


async def _intake(request: Request) -> IntakeLike:
    intake: IntakeLike = request.app.state.intake
    return intake


@router.post(
    "/contacts/{contact_id}/rating",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: {"description": "no contact of this adapter by that id"},
        409: {"description": "the contact has already been rated"},
        503: {"description": "the broker did not confirm in time; retry after Retry-After"},
    },
)
async def rate_contact(
    contact_id: uuid.UUID,
    submission: RatingSubmission,
    intake: Annotated[IntakeLike, Depends(_intake)],
    adapter: Adapter,
) -> RatingAccepted:
    """The citizen's rating of a contact this adapter posted, once; 202 when ContactRated is
    durably in Kafka. The comment's text is dropped (the module's docstring says why)."""
    ratings, settings = intake.ratings, intake.settings
    # By HTTP or straight to Kafka (submissions.py): either way the contact is this adapter's.
    names = (adapter.subject, kafka_adapter(adapter.name))
    origin = await asyncio.to_thread(ratings.origin, contact_id, *names)
    if origin is None:  # the same answer whether the contact exists or not
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such contact of this adapter")
    now = intake.clock.now()
    try:
        await asyncio.to_thread(ratings.claim, contact_id, submission.rating, now)
    except AlreadyRated:
        raise HTTPException(status.HTTP_409_CONFLICT, "the contact is already rated") from None
    event = rated_event(contact_id, origin, submission, now)
    try:
        # A send that outlives the deadline may still land: its retry is the same event (one
        # id), which the monthly follow-up counts once.
        async with asyncio.timeout(settings.publish_deadline_seconds):
            await intake.producer.publish(event)
    except (TimeoutError, KafkaError) as error:
        raise BrokerUnavailable(
            settings.publish_deadline_seconds, settings.retry_after_seconds
        ) from error
    await asyncio.to_thread(ratings.mark_published, contact_id)
    return RatingAccepted(contact_id=contact_id, rating=submission.rating, comment_kept=False)
