"""Publishing a claimed contact at most once per process: a retry that comes while the send is
under way, or just after it settled, waits on it instead of sending again; a failed send is
tried anew by the retry; and what is remembered of settled sends is let go after a minute, so
intake's memory does not grow with the contacts it has published (the Kafka side and the
database are covered by tests/integration/test_intake_api.py)."""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from aiokafka.errors import KafkaConnectionError

from schemas import ContactReceived
from services.intake.domain import BrokerUnavailable
from services.intake.publishing import KEEP_SETTLED_SECONDS, Publications
from services.intake.store import Alongside, Mark
from tests.contact_events import received

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class Broker:
    """The producer: holds each send until `release`, then acknowledges or refuses it."""

    def __init__(self) -> None:
        self.sent: list[uuid.UUID] = []
        self.released = asyncio.Event()
        self.refuse = False

    async def publish(self, event: ContactReceived) -> None:
        self.sent.append(event.contact_id)
        await self.released.wait()
        if self.refuse:
            raise KafkaConnectionError("the broker went away")


class Claims:
    """The claims' store: the marks it was asked to make."""

    def __init__(self) -> None:
        self.marked: list[uuid.UUID] = []

    def mark_all_published(self, marks: Sequence[Mark], alongside: Alongside | None) -> bool:
        self.marked.extend(contact_id for _, contact_id in marks)
        return False


class Clock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def publications(broker: Broker, claims: Claims, clock: Clock) -> Publications:
    return Publications(broker, claims, 5.0, 2, monotonic=clock)  # type: ignore[arg-type]


async def test_a_retry_during_the_send_or_just_after_it_waits_on_it_and_sends_nothing() -> None:
    broker, claims, clock = Broker(), Claims(), Clock()
    published = publications(broker, claims, clock)
    event = received(AT)
    first = asyncio.create_task(published.publish("key", event))
    retry = asyncio.create_task(published.publish("key", event))
    await asyncio.sleep(0)  # both are waiting on the one send
    broker.released.set()
    await asyncio.gather(first, retry)
    clock.seconds += KEEP_SETTLED_SECONDS - 1
    await published.publish("key", event)  # read its claim as unpublished just before the mark
    assert broker.sent == [event.contact_id]
    assert claims.marked == [event.contact_id]
    assert published.in_flight() == 0


async def test_a_failed_send_is_tried_again_by_the_retry() -> None:
    broker, claims, clock = Broker(), Claims(), Clock()
    published = publications(broker, claims, clock)
    event = received(AT)
    broker.refuse = True
    broker.released.set()
    with pytest.raises(BrokerUnavailable):
        await published.publish("key", event)
    broker.refuse = False
    await published.publish("key", event)
    assert broker.sent == [event.contact_id, event.contact_id]
    assert claims.marked == [event.contact_id]


async def test_settled_sends_are_forgotten_after_a_minute() -> None:
    broker, claims, clock = Broker(), Claims(), Clock()
    published = publications(broker, claims, clock)
    broker.released.set()
    old = received(AT)
    await published.publish("old", old)
    for i in range(1000):  # a minute and more of contacts, one every 0.1 s
        clock.seconds += 0.1
        await published.publish(f"key {i}", received(AT))
    remembered = published.remembered()
    assert 0 < remembered <= KEEP_SETTLED_SECONDS / 0.1 + 1
    await published.publish("old", old)  # forgotten: a claim still unpublished sends again
    assert broker.sent.count(old.contact_id) == 2
