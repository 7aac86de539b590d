"""Contacts channel adapters submit straight to Kafka (docs/adapters.md, "Publishing straight to
Kafka"), taken a batch at a time under the same rules as `POST /contacts` (handlers.py).

Each adapter writes only its own topic (the broker's ACLs), so the topic says who submitted.
Per batch: every record decoded and validated (what is not a valid submission goes to the DLQ
with the field and the error's kind, never the citizen's text); every key claimed in one
database transaction, with the statuses and origins new contacts open; a ContactReceived
published for each new (or claimed but never published) contact, stamped with intake's own
clock; the acks awaited; the claims marked published, each status announced, in one
transaction. Only then are the batch's offsets committed (the shared BatchConsumer), so a crash
anywhere reads the batch again and the claims make that harmless. A key reused with other
content, or a `received_at` outside the window, is refused (DLQ with the reason); a duplicate
of a published contact is let go. Outages are retried for as long as they last.
"""

import asyncio
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from schemas import ContactReceived
from schemas.submissions import kafka_adapter
from schemas.topics import Consumer
from services.intake.domain import (
    ContactSubmission,
    IdempotencyKeyReused,
    ReceivedOutsideWindow,
    arrival,
    outside_window,
    to_event,
)
from services.intake.ratings import Ratings
from services.intake.status_store import StatusStore
from services.intake.store import AcceptedContacts, Claim, HeldKey
from services.shared.clock import Clock
from services.shared.kafka import (
    AT_ONCE,
    BatchConsumer,
    EventProducer,
    Failure,
    Positions,
    Record,
    Refused,
    RetryPolicy,
)
from services.shared.kafka.retry import DEFAULT_RETRY
from services.shared.tracing import current_traceparent, resumed

LOG_APPEND_TIME = 1  # aiokafka's timestamp_type of a record the broker stamped


@dataclass(frozen=True)
class Submitted:
    """A record that is a valid submission, with who wrote it and the trace it came in."""

    record: Record
    client: str
    submission: ContactSubmission
    traceparent: str | None


@dataclass(frozen=True)
class _Plan:
    submitted: Submitted
    event: ContactReceived
    fingerprint: str
    claim: Claim


@dataclass
class _Work:
    submitted: list[Submitted] = field(default_factory=list)


def read_submission(record: Record) -> ContactSubmission:
    """The record's submission; Refused or a ValidationError (whose description names the
    fields and the kinds of error, never the values: services/shared/kafka/faults.py)."""
    if record.value is None:
        raise Refused("a submission record needs a value")
    return ContactSubmission.model_validate_json(record.value)


@dataclass(frozen=True)
class SubmissionRules:
    """What the consumer needs of intake (bootstrap.py): its clock, tables and window."""

    clock: Clock
    accepted: AcceptedContacts
    statuses: StatusStore
    ratings: Ratings
    skew: timedelta
    planned: Callable[[], None]  # wakes the callback sender


class SubmissionConsumer(BatchConsumer[_Work]):
    """Reads the adapters' submission topics (`clients`: topic name → the adapter's client id)
    as intake's submissions group; publishes with intake's producer, as intake's principal."""

    def __init__(
        self,
        spec: Consumer,
        clients: Mapping[str, str],
        bootstrap: str,
        producer: EventProducer,
        rules: SubmissionRules,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
    ):
        super().__init__(
            spec,
            bootstrap,
            producer.send_raw,
            batching=AT_ONCE,  # a Nöd may be among them
            retry=retry,
            security=producer.security,
        )
        self._clients = dict(clients)
        self._producer = producer
        self._rules = rules
        self.accepted = 0  # contacts published
        self.duplicates = 0  # submissions of a contact published before (or twice in a batch)

    def new_work(self) -> _Work:
        return _Work()

    async def take_record(self, record: Record, work: _Work) -> None:
        client = self._clients.get(record.topic)
        try:
            if client is None:  # never: the consumer reads only the topics it was given
                raise Refused(f"{record.topic} is no adapter's submission topic")
            submission = read_submission(record)
        except (Refused, ValidationError) as exc:
            failure = Failure.rejected(exc)
            await self.dead_letters.write(record, failure.reason, failure.attempts)
            return
        work.submitted.append(Submitted(record, client, submission, current_traceparent()))

    async def complete(self, work: _Work, positions: Positions) -> None:
        if not work.submitted:
            return
        batch = work.submitted
        outcome = await self.retrying(
            functools.partial(self._accept, batch), "submissions", submissions=len(batch)
        )
        if isinstance(outcome, Failure):
            # Not an outage, and it keeps failing: find the submission that fails on its own.
            for one in batch:
                alone = await self.retrying(
                    functools.partial(self._accept, [one]), "submission", tried=outcome.attempts
                )
                if isinstance(alone, Failure):
                    await self.dead_letters.write(one.record, alone.reason, alone.attempts)
                else:
                    await self._refuse(alone)
            return
        await self._refuse(outcome)

    async def _refuse(self, refused: Sequence[tuple[Record, str]]) -> None:
        # Written once the batch went through: a retried batch refuses them again, once.
        for record, reason in refused:
            await self.dead_letters.write(record, reason, attempts=1)

    async def _accept(self, batch: Sequence[Submitted]) -> list[tuple[Record, str]]:
        """Claims, publishes and marks the batch; the records refused, with why."""
        now = self._rules.clock.now()
        plans = [self._plan(one, now) for one in batch]
        held = await asyncio.to_thread(self._rules.accepted.claim_all, [p.claim for p in plans])
        refused: list[tuple[Record, str]] = []
        sending: dict[str, _Plan] = {}
        for plan, row in zip(plans, held, strict=True):
            reason = self._refusal(plan, row)
            if reason is not None:
                refused.append((plan.submitted.record, reason))
            elif row is not None and not row.published and row.key not in sending:
                sending[row.key] = plan
            else:
                self.duplicates += 1
        await self._publish(list(sending.values()))
        return refused

    def _refusal(self, plan: _Plan, row: HeldKey | None) -> str | None:
        if row is None:
            return Failure.rejected(ReceivedOutsideWindow(self._rules.skew)).reason
        if row.fingerprint != plan.fingerprint:
            return Failure.rejected(IdempotencyKeyReused()).reason
        return None

    def _plan(self, submitted: Submitted, now: datetime) -> _Plan:
        rules, submission = self._rules, submitted.submission
        adapter = kafka_adapter(submitted.client)
        event = to_event(submission, adapter, now)
        record = submitted.record
        appended = record.timestamp if record.timestamp_type == LOG_APPEND_TIME else None
        arrived = arrival(now, appended, time.time(), rules.clock.speed)
        fingerprint = submission.fingerprint()
        row = HeldKey(
            key=str(event.contact_id),  # as `accept` keys a contact: its derived id
            contact_id=event.contact_id,
            fingerprint=fingerprint,
            accepted_at=now,
        )
        # The contact's status is its adapter's (GET /contacts/{id} with its token), as a
        # posted contact's is; its origin names the Kafka adapter (a rating checks it).
        opened = (
            rules.statuses.opening(
                event.contact_id, submitted.client, event.region, event.channel, now
            ),
            rules.ratings.origin_of(event, adapter),
        )
        may_open = not outside_window(submission, arrived, rules.skew)
        return _Plan(submitted, event, fingerprint, Claim(row, opened, may_open))

    async def _publish(self, plans: Sequence[_Plan]) -> None:
        if not plans:
            return
        acks: list[asyncio.Future[Any]] = []
        for plan in plans:
            with resumed(plan.submitted.traceparent):  # the contact's trace goes on
                acks.append(await self._producer.enqueue(plan.event))
        await asyncio.gather(*acks)
        marks = [(str(p.event.contact_id), p.event.contact_id) for p in plans]
        announce = self._rules.statuses.announce_all_in
        marked = functools.partial(self._rules.accepted.mark_all_published, marks, announce)
        if await asyncio.to_thread(marked):
            self._rules.planned()
        self.accepted += len(plans)
