"""The monthly store on a real database, SQLite and PostgreSQL alike: a batch is counted once
however often it comes, order events merge in any order, and months are read back apart."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, MetaData, Table, Uuid

from schemas import Region
from services.reporting.monthly.aggregation import (
    Aggregation,
    Effect,
    EventKey,
    OrderFact,
    effective,
)
from services.reporting.monthly.figures import OrderSpan
from services.reporting.monthly.store import MonthlyStore
from services.shared.db import make_engine
from tests.queueing_contacts import classified

AT = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)
HOUR = int(AT.timestamp()) // 3600


def new_key(hour: int = HOUR) -> EventKey:
    return EventKey(hour, uuid.uuid4())


def counting(region: str, month: str, metric: str, key: str, amount: int = 1) -> Effect:
    return Effect(counts=(((region, month, metric, key), amount),))


@pytest.fixture
def store(database_url: str) -> MonthlyStore:
    return MonthlyStore(make_engine(database_url))


def test_a_batch_counts_once_however_often_it_is_applied(store: MonthlyStore) -> None:
    batch = {
        new_key(HOUR + n): counting("nord", "2024-05", "contacts", "phone|case_help")
        for n in range(3)
    }
    batch[new_key()] = counting("nord", "2024-05", "wait_ms", "sum", 12_345)
    assert store.apply(batch) == 4
    assert store.apply(batch) == 0
    # A batch overlapping the first: only the new event counts.
    fresh = new_key()
    overlapping = {
        **dict(list(batch.items())[:2]),
        fresh: counting("nord", "2024-05", "wait_ms", "sum", 5),
    }
    assert store.apply(overlapping) == 1
    counts = store.counts(["2024-05", "2023-05"])
    assert counts["2024-05"]["nord"][("contacts", "phone|case_help")] == 3
    assert counts["2024-05"]["nord"][("wait_ms", "sum")] == 12_350
    assert counts["2023-05"] == {}
    assert store.processed() == 5


@pytest.mark.parametrize("positions", [None, {("q", 0): 3}], ids=["alone", "with positions"])
def test_a_batch_whose_counts_fail_records_nothing_and_counts_once_when_retried(
    store: MonthlyStore,
    monkeypatch: pytest.MonkeyPatch,
    positions: dict[tuple[str, int], int] | None,
) -> None:
    """The ids go in before the counts, in the same transaction: a failure between them must
    take the ids back too, or the retried batch would find them and never count the events."""
    batch = {new_key(): counting("syd", "2024-05", "contacts", "phone|theft") for _ in range(3)}
    add_counts = store._add_counts

    def failing(*args: object) -> None:
        monkeypatch.setattr(store, "_add_counts", add_counts)  # this once
        raise RuntimeError("the counts did not land")

    monkeypatch.setattr(store, "_add_counts", failing)
    with pytest.raises(RuntimeError):
        store.apply(batch, positions)
    assert store.processed() == 0
    assert store.positions() == {}
    assert store.apply(batch, positions) == 3
    assert store.counts(["2024-05"])["2024-05"]["syd"][("contacts", "phone|theft")] == 3


def test_many_ids_in_one_batch(store: MonthlyStore) -> None:
    batch = {
        new_key(HOUR + n % 7): counting("syd", "2024-05", "route", "operator")
        for n in range(20_000)
    }
    assert store.apply(batch) == 20_000
    assert store.apply(batch) == 0
    assert store.counts(["2024-05"])["2024-05"]["syd"][("route", "operator")] == 20_000


@pytest.mark.parametrize("ended_first", [False, True])
def test_order_events_merge_in_any_order(store: MonthlyStore, ended_first: bool) -> None:
    order_id = uuid.uuid4()
    placed = OrderFact(order_id, "stockholm", "syd:3,ost:2", AT, AT + timedelta(hours=2))
    ended = OrderFact(order_id, "stockholm", ended=AT + timedelta(hours=1))
    facts = [ended, placed] if ended_first else [placed, ended]
    for fact in facts:
        store.apply({new_key(): Effect(order=fact)})
    spans = store.orders(AT - timedelta(days=1), AT + timedelta(days=1))
    assert spans == [
        OrderSpan(
            "stockholm",
            (("syd", 3), ("ost", 2)),
            AT,
            AT + timedelta(hours=2),
            AT + timedelta(hours=1),
        )
    ]
    assert store.orders(AT + timedelta(hours=3), AT + timedelta(days=1)) == []


def test_positions_are_recorded_with_the_counts_and_only_move_forward(store: MonthlyStore) -> None:
    assert store.positions() == {}
    store.apply({new_key(): counting("ost", "2024-05", "route", "operator")}, {("q", 0): 10})
    store.apply({}, {("q", 0): 4, ("q", 1): 7})  # a batch read again after a rebalance
    store.apply({}, {("q", 1): 9})
    assert store.positions() == {("q", 0): 10, ("q", 1): 9}


def test_events_counted_before_the_hour_led_the_key_are_not_counted_again(
    database_url: str,
) -> None:
    """A database from before keeps its table of counted ids alone; the store reads it."""
    engine = make_engine(database_url)
    legacy = Table(
        "reporting_monthly_processed", MetaData(), Column("event_id", Uuid, primary_key=True)
    )
    legacy.create(engine)
    counted_before = new_key()
    with engine.begin() as connection:
        connection.execute(legacy.insert(), [{"event_id": counted_before.event_id}])
    store = MonthlyStore(engine)
    effect = counting("syd", "2024-05", "route", "operator")
    assert store.apply({counted_before: effect, new_key(): effect}) == 1
    assert store.counts(["2024-05"])["2024-05"]["syd"][("route", "operator")] == 1
    assert store.processed() == 2


def test_an_event_built_again_later_from_the_same_cause_counts_once(store: MonthlyStore) -> None:
    """Triage classifies a contact read again (a redelivery, a replay) into the same event id
    at a new occurred_at, hours later perhaps: it is the same contact's classification."""
    first = classified(Region.MITT, waited=0, at=AT)
    again = first.model_copy(update={"occurred_at": AT + timedelta(hours=3)})
    aggregation = Aggregation()
    assert store.apply(effective(aggregation, [first])) == 1
    assert store.apply(effective(aggregation, [again])) == 0
    assert store.apply(effective(aggregation, [again, first])) == 0
    month = store.counts(["2024-05"])["2024-05"]
    assert sum(v for (metric, _), v in month["mitt"].items() if metric == "contacts") == 1
