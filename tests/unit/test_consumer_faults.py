"""Transient or poison: what the consumers retry for as long as it lasts, and what they
dead-letter at once (services/shared/kafka/faults.py, retry.py)."""

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable

import psycopg
import pytest
from aiokafka import errors as kafka_errors
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sql_errors

from schemas.codec import UndecodableEvent
from services.shared.kafka import Failure, Kind, Refused, RetryPolicy, classify, with_retries

QUICK = RetryPolicy(attempts=3, first_backoff=0.0, max_backoff=0.0)


def locked() -> sql_errors.OperationalError:
    return sql_errors.OperationalError(
        "UPDATE queue", {}, sqlite3.OperationalError("database is locked")
    )


class Person(BaseModel):
    name: str
    age: int


def invalid_person() -> ValidationError:
    try:
        Person.model_validate({"name": "Agnetha Fältskog", "age": "old"})
    except ValidationError as exc:
        return exc
    raise AssertionError("valid")


@pytest.mark.parametrize(
    "error",
    [
        locked(),
        sqlite3.OperationalError("database is locked"),  # from the driver's own cursor
        sql_errors.OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed")),
        sql_errors.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
        psycopg.OperationalError("connection refused"),
        kafka_errors.KafkaTimeoutError(),
        kafka_errors.KafkaConnectionError("no broker"),
        kafka_errors.NotEnoughReplicasError(),
        ConnectionRefusedError(),
        TimeoutError(),
    ],
)
def test_outages_are_transient(error: Exception) -> None:
    assert classify(error) is Kind.TRANSIENT


@pytest.mark.parametrize(
    "error", [Refused("no rule for this"), UndecodableEvent("not JSON"), invalid_person()]
)
def test_bad_records_and_refusals_are_poison(error: Exception) -> None:
    assert classify(error) is Kind.POISON


def test_a_missing_sqlite_table_or_a_bug_is_unknown_not_an_outage() -> None:
    missing = sql_errors.OperationalError("x", {}, sqlite3.OperationalError("no such table: q"))
    assert classify(missing) is Kind.UNKNOWN
    assert classify(RuntimeError("bug")) is Kind.UNKNOWN


def test_a_wrapped_outage_is_still_transient() -> None:
    outer = RuntimeError("could not queue")
    outer.__cause__ = locked()  # `raise RuntimeError(...) from error` in a handler
    assert classify(outer) is Kind.TRANSIENT


def failing(errors: list[BaseException]) -> tuple[Callable[[], Awaitable[str]], list[int]]:
    calls: list[int] = []

    async def operation() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "done"

    return operation, calls


async def test_a_transient_failure_is_retried_for_as_long_as_it_lasts() -> None:
    operation, calls = failing([locked() for _ in range(25)])
    watched: list[str | None] = []
    outcome = await with_retries(
        QUICK,
        operation,
        "test",
        watch=lambda e: watched.append(None if e is None else type(e).__name__),
    )
    assert outcome == "done"
    assert len(calls) == 26, "far more than the policy's 3 attempts"
    assert watched[0] == "OperationalError", "degraded while it lasts"
    assert watched[-1] is None, "then well again"


async def test_poison_is_given_up_at_once_with_its_reason() -> None:
    operation, calls = failing([Refused("triage does not handle X")])
    outcome = await with_retries(QUICK, operation, "test")
    assert outcome == Failure("rejected: triage does not handle X", 1)
    assert len(calls) == 1


async def test_a_validation_failure_names_fields_never_values() -> None:
    operation, _ = failing([invalid_person()])
    outcome = await with_retries(QUICK, operation, "test")
    assert isinstance(outcome, Failure)
    assert outcome.reason.startswith("rejected: ValidationError: Person: age: int_parsing")
    assert "Agnetha" not in outcome.reason
    assert "old" not in outcome.reason


async def test_an_unknown_failure_is_tried_as_often_as_the_policy_says() -> None:
    operation, calls = failing(
        [locked(), RuntimeError("bug"), RuntimeError("bug"), RuntimeError("bug")]
    )
    outcome = await with_retries(QUICK, operation, "test")
    assert isinstance(outcome, Failure)
    assert len(calls) == 4, "the outage's try does not count against the three"
    assert outcome.reason == "failed after 4 attempts: RuntimeError: bug"


async def test_backoff_grows_with_jitter_up_to_its_cap() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    operation, _ = failing([locked() for _ in range(12)])
    policy = RetryPolicy(first_backoff=0.2, max_backoff=30.0)
    assert await with_retries(policy, operation, "test", sleep=sleep) == "done"
    assert all(0 <= w <= 30.0 for w in waits)
    assert max(waits[:2]) <= 0.8, "starts small"
    assert len(set(waits)) > 1, "jittered"


def test_a_stop_cancels_an_operation_and_is_never_retried() -> None:
    """Cancelling a retried operation (a service stopping) ends it at once: the retries must
    not swallow the cancellation and run the operation again (that hung shutdowns)."""
    tries = 0

    async def scenario() -> None:
        started = asyncio.Event()

        async def operation() -> None:
            nonlocal tries
            tries += 1
            started.set()
            await asyncio.Event().wait()  # until cancelled

        task = asyncio.create_task(with_retries(RetryPolicy(), operation, "a stoppable read"))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert tries == 1
