"""Operators' answers and outcomes, remembered with the response they got, so that a retry
changes nothing and gets the first response again.

A retry is the same request under the same `Idempotency-Key`, or, without a key, the same move
(answer, or the same outcome) of the same contact by the operator who made it. The record is
written in the transaction of the change it answers: either both commit or neither. Only
changes are recorded; a refusal changed nothing, and a retry of it is simply decided again.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete
from sqlmodel import col, select

from services.queueing.domain import QueueError
from services.queueing.store import Tx
from services.queueing.tables import RecordedRequest

IDEMPOTENCY_HEADER = "Idempotency-Key"


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
        row = {
            "operator_id": request.operator_id,
            "request_key": request.key,
            "action": request.action,
            "contact_id": request.contact_id,
            "fingerprint": request.fingerprint,
            "response_json": response_json,
            "expires_at": expires_at,
        }
        self.tx.requests.append(row)

    def forget_expired(self, now: datetime) -> int:
        """Deletes records past their expiry; how many."""
        statement = delete(RecordedRequest).where(col(RecordedRequest.expires_at) <= now)
        return int(self.session.connection().execute(statement).rowcount)
