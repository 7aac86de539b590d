"""The one retry policy of every consumer: how often a failing handler is tried, and how long
it waits between tries. A consumer that gives up dead-letters the record with the reason and
the attempt count, so what is retried and what is given up on is decided here alone."""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from services.shared.logs import fields

log = logging.getLogger(__name__)
T = TypeVar("T")

REASON_LIMIT = 500  # a header, not a log: long exception texts are cut


class PermanentError(Exception):
    """A handler's verdict that retrying cannot help: dead-letter at once. Message must be safe."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries in all, the first one included
    first_backoff: float = 0.2  # seconds before the second try
    multiplier: float = 2.0  # each further wait is this much longer than the one before

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_backoff < 0 or self.multiplier < 1:
            raise ValueError("a retry policy needs attempts >= 1, backoff >= 0, multiplier >= 1")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        return self.first_backoff * self.multiplier ** (attempt - 1)

    def gives_up(self, attempt: int, error: Exception) -> bool:
        return isinstance(error, PermanentError) or attempt >= self.attempts


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class Failure:
    """Why an operation was given up on, and after how many tries: what a dead letter says."""

    reason: str
    attempts: int

    @classmethod
    def of(cls, error: Exception, attempts: int) -> "Failure":
        if isinstance(error, PermanentError):
            return cls(f"rejected: {error}"[:REASON_LIMIT], attempts)
        reason = f"failed after {attempts} attempts: {type(error).__name__}: {error}"
        return cls(reason[:REASON_LIMIT], attempts)

    @classmethod
    def rejected(cls, error: Exception) -> "Failure":
        """An error no retry can mend (a rule that cannot take this event): given up at once."""
        return cls(f"rejected: {type(error).__name__}: {error}"[:REASON_LIMIT], 1)


async def with_retries(
    policy: RetryPolicy, operation: Callable[[], Awaitable[T]], what: str, **log_fields: object
) -> T | Failure:
    """The operation's result, or the Failure it was given up with. `what` and `log_fields`
    name it in the warning logged before each retry (never personal data)."""
    for attempt in itertools.count(1):
        try:
            return await operation()
        except Exception as exc:
            if policy.gives_up(attempt, exc):
                return Failure.of(exc, attempt)
            log.warning(
                "%s failed, retrying",
                what,
                extra=fields(attempt=attempt, error=type(exc).__name__, **log_fields),
            )
            await asyncio.sleep(policy.backoff(attempt))
    raise AssertionError("unreachable: itertools.count never ends")
