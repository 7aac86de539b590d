"""Intake's HTTP API (the composition root of the intake process)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Response, status
from opentelemetry import trace
from pydantic import BaseModel

from services.intake.domain import MAX_AHEAD, ContactSubmission, ahead_of, to_event
from services.intake.settings import IntakeSettings
from services.intake.store import AcceptedContact, AcceptedContacts
from services.shared.clock import Clock, make_clock
from services.shared.db import create_tables, make_engine
from services.shared.http import harden, health_router, token_checker
from services.shared.kafka import EventProducer


class ContactAccepted(BaseModel):
    contact_id: UUID
    duplicate: bool


def create_app(settings: IntakeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    settings.refuse_dev_secret("PKC_INTAKE_ADAPTER_TOKENS", settings.adapter_tokens)
    clock = clock or make_clock(settings.clock_origin(), settings.clock_speed)
    engine = make_engine(settings.database_url or settings.default_database_url("intake"))
    create_tables(engine, AcceptedContact)
    accepted = AcceptedContacts(engine)
    producer = EventProducer(settings.kafka_bootstrap_servers, "pkc-intake")
    started = {"producer": False}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await producer.start()
        started["producer"] = True
        yield
        await producer.stop()

    app = FastAPI(title="PKC intake", version="1", lifespan=lifespan)
    harden(app, settings.max_body_bytes)
    adapter = Depends(token_checker(settings.tokens))

    async def ready() -> dict[str, Any]:
        return dict(started)

    app.include_router(health_router(ready))

    @app.post(
        "/contacts",
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=[adapter],
        responses={
            200: {"description": "a retry of an accepted contact", "model": ContactAccepted},
            409: {"description": "the idempotency key was used for other content"},
            422: {"description": "invalid body, or received_at in the future"},
        },
    )
    async def submit_contact(submission: ContactSubmission, response: Response) -> ContactAccepted:
        """Accepts one contact; 202 once ContactReceived is durably in Kafka (acks=all)."""
        now, fingerprint = clock.now(), submission.fingerprint()
        if ahead_of(submission, now):
            raise HTTPException(
                422,
                f"received_at is more than {MAX_AHEAD} ahead of the platform's clock",
            )
        event = to_event(submission, now)
        claim = accepted.claim(
            AcceptedContact(
                key=f"{submission.source}:{submission.idempotency_key}",
                contact_id=event.contact_id,
                fingerprint=fingerprint,
                accepted_at=now,
            )
        )
        if claim.fingerprint != fingerprint:
            raise HTTPException(
                status.HTTP_409_CONFLICT, "idempotency_key already used for a different contact"
            )
        if claim.published:
            response.status_code = status.HTTP_200_OK
            return ContactAccepted(contact_id=claim.contact_id, duplicate=True)
        trace.get_current_span().set_attribute("pkc.contact_id", str(event.contact_id))
        await producer.publish(event)  # a retry of a claim never published lands here too
        accepted.mark_published(claim.key)
        return ContactAccepted(contact_id=event.contact_id, duplicate=False)

    return app


Settings = Annotated[IntakeSettings, Depends(IntakeSettings)]
