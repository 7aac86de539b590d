"""A channel adapter submitting contacts straight to Kafka (docs/adapters.md, "Publishing
straight to Kafka"): the library an adapter written in Python uses, and the reference for one
written in another language (the record format is in schemas/json/ContactSubmission.v1.json).

    async with KafkaSubmitter(bootstrap, "adapter-phone", security) as submitter:
        contact_id = await submitter.submit(submission)

`submit` validates the submission with the contract's model first (a bad one never leaves the
adapter: intake would only dead-letter it), writes it to the adapter's own topic with an
idempotent producer (acks=all: returned means durably in Kafka, and the producer's own retries
never write a record twice) and returns the contact id intake will give it. Retry with the same
idempotency key after an error: intake publishes each key's contact once. Intake's verdict is
asynchronous: the contact's status (`GET /contacts/{id}`, or the adapter's callbacks) says it
was received; a refused record (its key reused with other content, `received_at` outside the
window) reaches intake's dead-letter topic and never gets a status.
"""

import asyncio
import uuid
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaProducer

from schemas.submissions import ContactSubmission, contact_id_for, kafka_adapter
from schemas.topics import SUBMISSIONS
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity
from services.shared.kafka_tuning import DEFAULT_TUNING, ProducerTuning
from services.shared.tracing import inject_headers


def submission_topic(client: str) -> str:
    """The adapter's own topic; LookupError for a client the registry has no adapter for."""
    topic = SUBMISSIONS.get(client)
    if topic is None:
        raise LookupError(f"no submission topic for {client!r}; one of {', '.join(SUBMISSIONS)}")
    return topic.name


def validated(submission: ContactSubmission | dict[str, Any]) -> ContactSubmission:
    """The submission as intake will read it: validated again even if built as a model (one
    built with `model_construct`, or changed since, skips the model's checks)."""
    # warnings off: a model built without checks would be quoted in a serializer warning.
    data = (
        submission.model_dump(warnings=False)
        if isinstance(submission, ContactSubmission)
        else submission
    )
    return ContactSubmission.model_validate(data)


class KafkaSubmitter:
    """One adapter's producer: signs in as the adapter's principal (`security`: its client id
    and secret; it may write its own topic only) and writes ContactSubmission records keyed by
    their idempotency key. `topic`: another topic than the registry's (tests)."""

    def __init__(
        self,
        bootstrap: str,
        client: str,
        security: KafkaSecurity = PLAINTEXT,
        tuning: ProducerTuning = DEFAULT_TUNING,
        topic: str | None = None,
    ):
        self.client = client
        self.topic = topic or submission_topic(client)
        self._kwargs: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "client_id": client,
            # A record is in Kafka when every in-sync replica has it; idempotence: a retry by
            # the producer itself (a lost ack) never writes the record twice.
            "acks": "all",
            "enable_idempotence": True,
            "request_timeout_ms": 30000,
            **tuning.client_kwargs(),  # a few ms of linger, lz4: as the platform's producers
            **security.client_kwargs(),
        }
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka clients bind to the running loop: built here, not in __init__.
        self._producer = AIOKafkaProducer(**self._kwargs)
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def __aenter__(self) -> "KafkaSubmitter":
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def contact_id(self, submission: ContactSubmission) -> uuid.UUID:
        """The id intake gives the contact: derived from this adapter and the key, as intake
        derives it (schemas/submissions.py), so the adapter knows it before intake answers."""
        return contact_id_for(
            kafka_adapter(self.client), submission.source, submission.idempotency_key
        )

    async def enqueue(
        self, submission: ContactSubmission | dict[str, Any]
    ) -> "asyncio.Future[Any]":
        """Validates the submission and hands it to the producer's batch; await the returned
        future for the broker's ack. Raises pydantic's ValidationError for a bad one (its
        message quotes the input: log its `errors()` fields, not the message)."""
        return await self._send(validated(submission))

    async def _send(self, valid: ContactSubmission) -> "asyncio.Future[Any]":
        """Hands a submission already validated to the producer's batch."""
        if self._producer is None:
            raise RuntimeError("KafkaSubmitter used before start()")
        future: asyncio.Future[Any] = await self._producer.send(
            self.topic,
            value=valid.model_dump_json(exclude_none=True).encode(),
            key=valid.idempotency_key.encode(),  # a retry lands behind its first attempt
            headers=inject_headers([]),  # the adapter's trace goes on in intake
        )
        return future

    async def submit(self, submission: ContactSubmission | dict[str, Any]) -> uuid.UUID:
        """Validates, writes and waits for the broker's acks; the contact's id."""
        valid = validated(submission)
        await (await self._send(valid))  # validated once, here
        return self.contact_id(valid)

    async def submit_all(self, submissions: Sequence[ContactSubmission]) -> list[uuid.UUID]:
        """Many at once: every record handed to the producer first (they share requests), then
        every ack awaited; the contacts' ids in order."""
        # The ids from what was sent: validation strips whitespace from the key and source.
        valid = [validated(submission) for submission in submissions]
        acks = [await self._send(submission) for submission in valid]
        await asyncio.gather(*acks)
        return [self.contact_id(submission) for submission in valid]
