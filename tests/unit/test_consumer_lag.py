"""Lag per partition and what the monthly report says of it: the pure parts."""

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.reporting.monthly.counting import counting
from services.shared.http import health_router
from services.shared.kafka.lag import Lag, PartitionLag, lag_of

ENDS = {("pkc.queue.events", 0): 10, ("pkc.queue.events", 1): 5, ("pkc.contacts.classified", 0): 7}


def test_lag_is_the_end_less_the_position_per_partition() -> None:
    lag = lag_of({("pkc.queue.events", 0): 4, ("pkc.queue.events", 1): 5}, {}, ENDS)
    behind = {(p.topic, p.partition): p.lag for p in lag.partitions}
    # A partition the group never read counts from its beginning: all of it is behind.
    assert behind == {
        ("pkc.contacts.classified", 0): 7,
        ("pkc.queue.events", 0): 6,
        ("pkc.queue.events", 1): 0,
    }
    assert lag.total == 13


def test_records_deleted_before_they_were_read_are_not_lag() -> None:
    # Retention moved the beginning past the position: only what is still there can be read.
    lag = lag_of({("t", 0): 2}, {("t", 0): 8}, {("t", 0): 10})
    assert lag.partitions == (PartitionLag("t", 0, 8, 10),)
    assert lag.total == 2


def test_caught_up_is_within_the_threshold_and_never_when_unknown() -> None:
    lag = lag_of({}, {}, {("t", 0): 3})
    assert not lag.caught_up(0)
    assert lag.caught_up(3)
    unknown = Lag(error="KafkaConnectionError")
    assert unknown.total is None
    assert not unknown.caught_up(1_000_000)


def test_the_readiness_view_shows_each_partition_and_the_reason_when_unknown() -> None:
    view = lag_of({("t", 0): 1}, {}, {("t", 0): 3}).view(threshold=5)
    assert view == {
        "caught_up": True,
        "threshold": 5,
        "total": 2,
        "partitions": [{"topic": "t", "partition": 0, "position": 1, "end": 3, "lag": 2}],
    }
    unknown = Lag(error="KafkaTimeoutError").view(threshold=5)
    assert unknown["caught_up"] is False
    assert unknown["total"] is None
    assert unknown["error"] == "KafkaTimeoutError"


def test_the_report_warns_in_both_languages_with_what_is_not_counted() -> None:
    behind = counting(lag_of({}, {}, {("t", 0): 1234}))
    assert not behind.caught_up
    assert behind.not_counted == 1234
    assert behind.warning_en is not None
    assert "1,234 events are not counted" in behind.warning_en
    assert behind.warning_sv is not None
    assert "1\u00a0234 händelser" in behind.warning_sv


def test_the_report_warns_when_it_cannot_tell() -> None:
    unknown = counting(Lag(error="KafkaConnectionError"))
    assert not unknown.caught_up
    assert unknown.not_counted is None
    assert unknown.warning_en is not None
    assert "could not be checked" in unknown.warning_en
    assert unknown.warning_sv is not None


def test_a_caught_up_report_carries_no_warning() -> None:
    done = counting(lag_of({("t", 0): 9}, {}, {("t", 0): 9}))
    assert done.caught_up
    assert done.not_counted == 0
    assert done.warning_sv is None
    assert done.warning_en is None


def test_lag_is_shown_on_readyz_but_never_makes_a_service_unready() -> None:
    """A service working off a backlog (after an outage, during a replay) stays in rotation:
    `caught_up` says it is behind, readiness says it can work."""

    async def ready() -> dict[str, Any]:
        return {"consumer_assigned": True}

    behind = lag_of({}, {}, {("t", 0): 50})

    async def progress() -> dict[str, Any]:
        return {"caught_up": behind.caught_up(10), "lag": {"g": behind.view(10)}}

    app = FastAPI()
    app.include_router(health_router(ready, progress))
    answer = TestClient(app).get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["ready"] is True
    assert body["checks"] == {"consumer_assigned": True}
    assert body["caught_up"] is False
    assert body["lag"]["g"]["total"] == 50
