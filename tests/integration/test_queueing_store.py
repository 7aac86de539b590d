"""Queueing's store: take-next is atomic under concurrency; the outbox holds every event."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from schemas import Channel, Classified, MatterType, NeedCategory, Region, Route
from services.queueing.store import QueueStore
from services.queueing.tables import Operator, OutboxRecord, ProcessedEvent, QueueEntry
from services.shared.db import create_tables, make_engine

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def classified(region: Region = Region.VAST, priority: int = 3) -> Classified:
    return Classified(
        occurred_at=NOW,
        contact_id=uuid.uuid4(),
        region=region,
        channel=Channel.PHONE,
        received_at=NOW - timedelta(minutes=1),
        category=NeedCategory.CASE_HELP,
        matter=MatterType.THEFT,
        priority=priority,
        route=Route.OPERATOR,
        rule_id="t",
        rules_version="t",
    )


def store_at(url: str) -> QueueStore:
    engine = make_engine(url)
    create_tables(engine, QueueEntry, Operator, OutboxRecord, ProcessedEvent)
    return QueueStore(engine)


def test_fifty_concurrent_operators_never_get_the_same_contact(database_url: str) -> None:
    store = store_at(database_url)
    contacts = [classified() for _ in range(200)]
    for event in contacts:
        store.enqueue(event, NOW)
    operators = []
    for i in range(50):
        store.log_in(f"op-{i}", Region.VAST, f"token-{i}", NOW)
        operators.append(store.operator_by_token(f"token-{i}"))
    taken: list[uuid.UUID] = []
    lock = threading.Lock()

    def work(operator: Operator) -> None:
        while (entry := store.take_next(operator, ["vast"], NOW)) is not None:
            with lock:
                taken.append(entry.contact_id)

    threads = [threading.Thread(target=work, args=(op,)) for op in operators if op]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == len(set(taken)) == 200


def test_a_redelivered_classified_event_is_queued_once(database_url: str) -> None:
    store = store_at(database_url)
    event = classified()
    assert store.enqueue(event, NOW)
    assert not store.enqueue(event, NOW)
    with Session(store.engine) as session:
        assert len(session.exec(select(QueueEntry)).all()) == 1
        assert len(session.exec(select(OutboxRecord)).all()) == 1


def test_an_operator_takes_only_from_their_regions(database_url: str) -> None:
    store = store_at(database_url)
    store.enqueue(classified(Region.SYD), NOW)
    store.log_in("op-nord", Region.NORD, "tok", NOW)
    operator = store.operator_by_token("tok")
    assert operator is not None
    assert store.take_next(operator, ["nord"], NOW) is None
