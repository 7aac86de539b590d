"""Operators' answers and outcomes, remembered with the response they got, so that a retry
changes nothing and gets the first response again.

A retry is the same request under the same `Idempotency-Key`, or, without a key, the same move
(answer, or the same outcome) of the same contact by the operator who made it. The record is
written in the transaction of the change it answers: either both commit or neither. Only
changes are recorded; a refusal changed nothing, and a retry of it is simply decided again.
"""

import functools
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, ParamSpec, TypeVar

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.queueing.domain import QueueError
from services.queueing.store import Tx
from services.queueing.tables import RecordedRequest

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY_INDEX = "ux_queueing_request_key"

P = ParamSpec("P")
R = TypeVar("R")


class RequestReused(QueueError):
    """A key sent again with a different request: the caller must pick a new key."""


class OutcomeAlreadyRecorded(QueueError):
    """Another outcome than the one asked for is already recorded for the contact."""


@dataclass(frozen=True)
class OperatorRequest:
    """What an operator asked for, as a retry must ask it again."""

    operator_id: str
    action: Literal["answer", "outcome", "transfer"]
    contact_id: uuid.UUID
    key: str | None = None
    outcome: str = ""  # the outcome asked for (outcome requests; a transfer's destination)

    @property
    def fingerprint(self) -> str:
        what = f"{self.action}|{self.contact_id}|{self.outcome}"
        return hashlib.sha256(what.encode()).hexdigest()


class RecordedRequests:
    """The records, inside one transaction."""

    def __init__(self, tx: Tx):
        self.tx = tx
        self.session = tx.session

    def under_key(self, request: OperatorRequest) -> str | None:
        """The response given under the request's key before; None if the key is new (or
        there is none). Refuses a key that was used for a different request."""
        if request.key is None:
            return None
        query = select(RecordedRequest).where(
            RecordedRequest.operator_id == request.operator_id,
            RecordedRequest.request_key == request.key,
        )
        recorded = self.session.exec(query).first()
        if recorded is None:
            return None
        if recorded.fingerprint != request.fingerprint:
            raise RequestReused(
                f"this {IDEMPOTENCY_HEADER} was already used for a different request; "
                "send a new key for a new request"
            )
        return recorded.response_json

    def of_same_move(self, request: OperatorRequest) -> str | None:
        """The response to this operator's earlier identical move of the contact, keyed or
        not (the request's key first); None if they made none. An outcome other than the
        one recorded is refused."""
        if (response := self.under_key(request)) is not None:
            return response
        query = (
            select(RecordedRequest)
            .where(
                RecordedRequest.operator_id == request.operator_id,
                RecordedRequest.contact_id == request.contact_id,
                RecordedRequest.action == request.action,
            )
            .order_by(col(RecordedRequest.id))
        )
        recorded = self.session.exec(query).first()
        if recorded is None:
            return None
        if recorded.fingerprint != request.fingerprint:
            raise OutcomeAlreadyRecorded("another outcome is already recorded for this contact")
        return recorded.response_json

    def record(self, request: OperatorRequest, response_json: str, expires_at: datetime) -> None:
        """Inserted with the transaction's other closing rows, as plain values (an ORM row cost
        more than the rest of an answer): a concurrent first try under the same key fails
        there, on the unique key, and its transaction changes nothing."""
        self.tx.requests.append(request_row(request, response_json, expires_at))

    def forget_expired(self, now: datetime) -> int:
        """Deletes records past their expiry; how many."""
        statement = delete(RecordedRequest).where(col(RecordedRequest.expires_at) <= now)
        return int(self.session.connection().execute(statement).rowcount)


def request_row(
    request: OperatorRequest, response_json: str, expires_at: datetime
) -> dict[str, object]:
    """The request's record, as the requests table holds it."""
    return {
        "operator_id": request.operator_id,
        "request_key": request.key,
        "action": request.action,
        "contact_id": request.contact_id,
        "fingerprint": request.fingerprint,
        "response_json": response_json,
        "expires_at": expires_at,
    }


def once_more_after_a_key_race(move: Callable[P, R]) -> Callable[P, R]:
    """A recorded move whose transaction lost a race for its key: two requests under one key
    at once (PostgreSQL; SQLite's writers run one at a time) both find the key unused, and the
    second fails on its unique index as it records its response. Run once more, it finds the
    first's record: the first response again for the same request, `RequestReused` (409) for
    another, where the database's error would have answered 500."""

    @functools.wraps(move)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return move(*args, **kwargs)
        except IntegrityError as error:
            if not _on_the_key(error):
                raise
        return move(*args, **kwargs)

    return run


def _on_the_key(error: IntegrityError) -> bool:
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    return constraint == _KEY_INDEX or "queueing_request.request_key" in str(error.orig)
