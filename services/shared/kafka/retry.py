"""The one retry policy of every consumer (the shared consumer, the monthly consumer and the
Faust agent): what is retried, for how long, and how long it waits between tries.

A TRANSIENT failure (services/shared/kafka/faults.py) is retried for as long as it lasts, with
exponential backoff and jitter up to a cap: an outage of the database or the broker delays
records, it never dead-letters them. POISON is given up on at once; an UNKNOWN failure after
`attempts` tries. What is given up on is dead-lettered by the caller with the Failure's reason.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, wait_random_exponential

from services.shared.kafka.faults import Kind, Refused, classify, describe
from services.shared.logs import fields

log = logging.getLogger(__name__)
T = TypeVar("T")

REASON_LIMIT = 500  # a header, not a log: long exception texts are cut

# The older name of Refused, still raised by handlers written before the classification.
PermanentError = Refused


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries in all for an UNKNOWN failure, the first one included
    first_backoff: float = 0.2  # seconds, about, before the second try
    max_backoff: float = 30.0  # the cap of a transient failure's waits, however long it lasts

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_backoff < 0 or self.max_backoff < self.first_backoff:
            raise ValueError("a retry policy needs attempts >= 1, 0 <= first <= max backoff")


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class Failure:
    """Why an operation was given up on, and after how many tries: what a dead letter says."""

    reason: str
    attempts: int

    @classmethod
    def of(cls, error: BaseException, attempts: int) -> "Failure":
        if isinstance(error, Refused):
            return cls(f"rejected: {error}"[:REASON_LIMIT], attempts)
        if classify(error) is Kind.POISON:
            return cls(f"rejected: {describe(error)}"[:REASON_LIMIT], attempts)
        return cls(f"failed after {attempts} attempts: {describe(error)}"[:REASON_LIMIT], attempts)

    @classmethod
    def rejected(cls, error: BaseException) -> "Failure":
        """An error no retry can mend (a rule that cannot take this event): given up at once."""
        return cls(f"rejected: {describe(error)}"[:REASON_LIMIT], 1)


Sleep = Callable[[float], Awaitable[None]]
# Told when a transient failure starts (the error) and when it is over (None): readiness.
Watcher = Callable[[BaseException | None], None]


async def with_retries(
    policy: RetryPolicy,
    operation: Callable[[], Awaitable[T]],
    what: str,
    *,
    sleep: Sleep = asyncio.sleep,
    watch: Watcher | None = None,
    tried: int = 0,
    **log_fields: object,
) -> T | Failure:
    """The operation's result, or the Failure it was given up with. `sleep` waits between
    tries (a consumer passes one that keeps it in its group); `what` and `log_fields` name the
    operation in the warnings logged before each retry (never personal data); `tried` counts
    tries made before this call in the Failure."""
    try:
        # Nearly every call succeeds at once: tenacity, which costs more than a small
        # operation (the Faust agent calls this twice per record), is set up only on a failure.
        return await operation()
    except Exception as error:
        again = _replaying(error, operation)
        return await _retried(policy, again, what, sleep, watch, tried, log_fields)
    finally:
        if watch is not None:
            watch(None)


def _replaying(
    error: Exception, operation: Callable[[], Awaitable[T]]
) -> Callable[[], Awaitable[T]]:
    """`operation`, whose first call raises `error` (the first try's, made already): tenacity
    takes it as its own first try, and counts, waits and logs as if it had made it."""
    pending: list[Exception] = [error]

    async def again() -> T:
        if pending:
            raise pending.pop()
        return await operation()

    return again


async def _retried(
    policy: RetryPolicy,
    operation: Callable[[], Awaitable[T]],
    what: str,
    sleep: Sleep,
    watch: Watcher | None,
    tried: int,
    log_fields: dict[str, object],
) -> T | Failure:
    unknown = 0

    def retried(state: RetryCallState) -> bool:
        nonlocal unknown
        error = state.outcome.exception() if state.outcome else None
        if not isinstance(error, Exception):
            return False  # success, or a cancellation (a stop): never retried, never swallowed
        kind = classify(error)
        unknown += kind is Kind.UNKNOWN
        return kind is Kind.TRANSIENT or (kind is Kind.UNKNOWN and unknown < policy.attempts)

    retrying = AsyncRetrying(
        sleep=sleep,
        retry=retried,
        wait=wait_random_exponential(multiplier=policy.first_backoff, max=policy.max_backoff),
        before_sleep=_before_sleep(what, watch, log_fields),
        reraise=True,
    )
    attempt = 0
    try:
        async for trial in retrying:
            attempt = trial.retry_state.attempt_number
            with trial:
                return await operation()
    except Exception as exc:
        return Failure.of(exc, tried + attempt)
    raise AssertionError("unreachable: tenacity returns or raises")


def _before_sleep(
    what: str, watch: Watcher | None, log_fields: dict[str, object]
) -> Callable[[RetryCallState], None]:
    """Says a transient failure is being waited out, and logs each retry."""

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        assert error is not None
        kind = classify(error)
        if watch is not None and kind is Kind.TRANSIENT:
            watch(error)
        log.warning(
            "%s failed, retrying",
            what,
            extra=fields(
                attempt=state.attempt_number,
                error=type(error).__name__,
                kind=kind.value,
                wait=round(state.upcoming_sleep, 2),
                **log_fields,
            ),
        )

    return before_sleep


class Retrier:
    """`with_retries` with one policy and one way to wait, that remembers the transient failure
    it is waiting out (`degraded`, by type): what a consumer's readiness reads."""

    def __init__(self, policy: RetryPolicy = DEFAULT_RETRY, sleep: Sleep = asyncio.sleep):
        self.policy = policy
        self.sleep = sleep
        self.degraded: str | None = None

    async def __call__(
        self,
        operation: Callable[[], Awaitable[T]],
        what: str,
        *,
        policy: RetryPolicy | None = None,
        tried: int = 0,
        **log_fields: object,
    ) -> T | Failure:
        """`operation` under the policy (this one's unless `policy`); `tried`: tries made
        before, which a Failure counts."""
        return await with_retries(
            policy or self.policy,
            operation,
            what,
            sleep=self.sleep,
            watch=self._watch,
            tried=tried,
            **log_fields,
        )

    def _watch(self, error: BaseException | None) -> None:
        self.degraded = None if error is None else type(error).__name__
