"""The shared consumer's bulk handler on real Kafka (queueing queues a batch's classified
contacts in one transaction): a batch's events are handled together and in order with the rest,
an outage of the bulk handler is waited out, and one poison event is dead-lettered alone."""

import uuid
from collections.abc import Sequence

import pytest

from schemas import ContactReceived
from schemas.envelope import Event
from services.shared.kafka import (
    BulkHandler,
    EventConsumer,
    EventProducer,
    Gathered,
    PermanentError,
)
from services.shared.tracing import resumed
from tests.kafka_helpers import (
    FAST_RETRY,
    DeadLetter,
    contact,
    fresh_consumer_spec,
    read_until,
    run_until,
)

pytestmark = pytest.mark.kafka


def trace_of(text: str) -> str:
    """A W3C traceparent of the record whose contact says `text`."""
    return f"00-{uuid.uuid5(uuid.NAMESPACE_URL, text).hex}-{'0' * 15}1-01"


def text(event: Event) -> str:
    assert isinstance(event, ContactReceived)
    return event.text


def in_bulk(event: Event) -> bool:
    return text(event).startswith("bulk")


class Handlers:
    """Records what each handler was given, in the order it was given it."""

    def __init__(self, fail_bulk: int = 0):
        self.order: list[str] = []
        self.bulk_calls: list[list[str]] = []
        self.traces: dict[str, str | None] = {}
        self.fail_bulk = fail_bulk  # outages the bulk handler meets first

    async def one(self, event: Event) -> None:
        if text(event) == "bulk poison":
            raise PermanentError("the test refuses it")
        self.order.append(text(event))

    async def all(self, gathered: Sequence[Gathered]) -> None:
        if self.fail_bulk:
            self.fail_bulk -= 1
            raise ConnectionError("the database is restarting")
        texts = [text(one.event) for one in gathered]
        if "bulk poison" in texts:
            raise PermanentError("one of them cannot be taken")
        self.bulk_calls.append(texts)
        self.order.extend(texts)
        self.traces |= {text(one.event): one.traceparent for one in gathered}


async def consume(kafka: str, texts: list[str], handlers: Handlers) -> EventConsumer:
    """Publishes `texts` first, so that one fetch brings them all, each in a trace of its own
    (`trace_of`), then consumes them."""
    spec = await fresh_consumer_spec(kafka)
    producer = EventProducer(kafka, "test")
    await producer.start()
    for one in texts:
        with resumed(trace_of(one)):
            await producer.publish(contact(one), spec.topics[0])
    bulk = BulkHandler(in_bulk, handlers.all)
    consumer = EventConsumer(spec, kafka, handlers.one, producer, retry=FAST_RETRY, bulk=bulk)
    await run_until(consumer, lambda: consumer.committed == len(texts))
    await producer.stop()
    return consumer


async def test_a_batch_is_handled_together_and_in_order_with_the_other_events(kafka: str) -> None:
    handlers = Handlers()
    texts = ["bulk 1", "bulk 2", "other", "bulk 3", "bulk 4", "bulk 5"]
    consumer = await consume(kafka, texts, handlers)
    assert handlers.order == texts, "each event after the one before it in the partition"
    assert handlers.bulk_calls == [["bulk 1", "bulk 2"], ["bulk 3", "bulk 4", "bulk 5"]]
    assert handlers.traces == {t: trace_of(t) for t in texts if t != "other"}, "its record's"
    assert consumer.handled == 6
    assert consumer.dead_lettered == 0


async def test_an_outage_of_the_bulk_handler_is_waited_out_and_nothing_is_lost(
    kafka: str,
) -> None:
    handlers = Handlers(fail_bulk=FAST_RETRY.attempts + 3)  # longer than poison is tried
    texts = [f"bulk {i}" for i in range(10)]
    consumer = await consume(kafka, texts, handlers)
    assert handlers.order == texts, "each once, after the outage"
    assert consumer.dead_lettered == 0


async def test_one_poison_event_is_dead_lettered_alone_and_the_rest_of_its_batch_handled(
    kafka: str,
) -> None:
    handlers = Handlers()
    texts = ["bulk 1", "bulk poison", "bulk 2"]
    consumer = await consume(kafka, texts, handlers)
    assert handlers.order == ["bulk 1", "bulk 2"], "one at a time after the batch failed"
    assert consumer.dead_lettered == 1
    [record] = await read_until(kafka, consumer.spec.dead_letter.name, lambda r: len(r) >= 1)
    assert DeadLetter.of(record).reason == "rejected: the test refuses it"
