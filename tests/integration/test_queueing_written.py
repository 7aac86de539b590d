"""Written channels are not calls (issue 16 item 4), on a real broker with the simulated clock:
a letter received at 22:30 before midsummer is never timed out nor dropped, is not offered on
midsommarafton nor midsommardagen, and is offered at the next opening, 07:00 on Sunday."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from schemas import Channel, Classified, QueueName, Region
from schemas.topics import CONTACTS_CLASSIFIED, QUEUE_EVENTS
from services.queueing.bootstrap import QueueingProcess, bootstrap
from services.queueing.domain import Actor, ContactStatus
from services.queueing.settings import QueueingSettings
from services.queueing.tables import QueueEntry
from services.shared.clock import SimulatedClock
from services.shared.kafka import EventProducer
from services.shared.runtime import running
from tests.kafka_helpers import Records, read_until
from tests.queueing_contacts import classified

pytestmark = pytest.mark.kafka
STOCKHOLM = ZoneInfo("Europe/Stockholm")
THURSDAY_NIGHT = datetime(2027, 6, 24, 22, 30, tzinfo=STOCKHOLM)  # before midsommarafton


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 6, day, hour, minute, tzinfo=STOCKHOLM).astimezone(UTC)


@pytest.fixture
async def queueing(kafka: str, state_dir: Path) -> AsyncIterator[QueueingProcess]:
    settings = QueueingSettings(
        state_dir=state_dir,
        kafka_bootstrap_servers=kafka,
        closed_outcome="queue",  # calls wait too: a call beside the letter shows the time-out
        max_wait_seconds=60,
        sweep_interval_seconds=0.1,
    )
    clock = SimulatedClock(THURSDAY_NIGHT, speed=0.0)  # stands still until the test moves it
    process = bootstrap(settings, clock)
    async with running(process.producer, (process.consumer,), process.background()):
        yield process


def arriving(channel: Channel) -> Classified:
    at = THURSDAY_NIGHT.astimezone(UTC)
    return classified(Region.NORD, at=at, waited=0).model_copy(update={"channel": channel})


def status(process: QueueingProcess, contact_id: uuid.UUID) -> ContactStatus | None:
    with Session(process.core.db.engine) as session:
        entry = session.get(QueueEntry, contact_id)
    return ContactStatus(entry.status) if entry is not None else None


def about(records: Records, contact_id: uuid.UUID) -> dict[str, dict[str, object]]:
    """The queue events of one contact, by type."""
    events = (json.loads(r.value) for r in records if r.value is not None)
    return {e["event_type"]: e for e in events if e.get("contact_id") == str(contact_id)}


async def test_a_letter_at_2230_waits_through_midsummer_and_is_offered_at_the_next_opening(
    queueing: QueueingProcess, kafka: str
) -> None:
    core, clock = queueing.core, queueing.core.clock
    assert isinstance(clock, SimulatedClock)
    letter, call = arriving(Channel.MAIL), arriving(Channel.PHONE)
    producer = EventProducer(kafka, "test-written")
    await producer.start()
    try:
        for event in (letter, call):
            await producer.publish(event, CONTACTS_CLASSIFIED)
    finally:
        await producer.stop()
    queued = await read_until(
        kafka, QUEUE_EVENTS.name, lambda r: "Queued" in about(r, letter.contact_id), 60
    )
    assert about(queued, letter.contact_id)["Queued"]["channel"] == "mail"
    assert about(queued, letter.contact_id)["Queued"]["outside_service_hours"] is True

    # Midsommarafton 07:00: the call that waited all night times out; the letter does not.
    clock.start = local(25, 7)
    timed_out = await read_until(
        kafka, QUEUE_EVENTS.name, lambda r: "Abandoned" in about(r, call.contact_id), 60
    )
    assert about(timed_out, call.contact_id)["Abandoned"]["reason"] == "timeout"
    assert "Abandoned" not in about(timed_out, letter.contact_id)
    assert status(queueing, letter.contact_id) == ContactStatus.WAITING

    person = Actor("written-nord-1", "written-nord-1")
    core.operators.sign_in(person, Region.NORD, [QueueName.CRIME_REPORT], True, clock.now())
    for closed in (local(25, 7), local(25, 12), local(26, 7), local(26, 15), local(27, 6, 59)):
        clock.start = closed  # midsommarafton, midsommardagen, Sunday before opening
        desk = await asyncio.to_thread(core.offers.desk, person.subject, closed)
        assert desk is not None
        assert desk.offer is None, f"offered while closed, at {closed}"
        assert core.contacts.take_next(person.subject, closed) is None
    assert status(queueing, letter.contact_id) == ContactStatus.WAITING

    clock.start = local(27, 7)  # Sunday 07:00: the queue's next opening
    desk = await asyncio.to_thread(core.offers.desk, person.subject, local(27, 7))
    assert desk is not None
    assert desk.offer is not None
    assert desk.offer.contact_id == letter.contact_id
    operator = core.operators.on_duty(person.subject)
    assert operator is not None
    core.offers.accept(operator, letter.contact_id, local(27, 7))
    answered = core.contacts.answer(operator, letter.contact_id, local(27, 7, 5))
    assert answered.channel == Channel.MAIL
    assert answered.wait_seconds == (local(27, 7, 5) - local(24, 22, 30)).total_seconds()
