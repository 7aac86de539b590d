"""Deciding what to send for an SLA event, and recording it."""

import asyncio
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from schemas import AlertDelivered, SlaBreached, SlaRecovered
from schemas.envelope import Event
from services.notify.messages import alert_body
from services.notify.settings import NotifySettings
from services.notify.tables import AlertLog
from services.notify.webhook import deliver
from services.shared.clock import Clock
from services.shared.kafka import EventProducer
from services.shared.runtime import derived_id


class AlertHandler:
    def __init__(
        self,
        settings: NotifySettings,
        engine: Engine,
        client: httpx.AsyncClient,
        producer: EventProducer,
        clock: Clock,
    ):
        self.settings = settings
        self.engine = engine
        self.client = client
        self.producer = producer
        self.clock = clock

    async def __call__(self, event: Event) -> None:
        if not isinstance(event, SlaBreached | SlaRecovered):
            return  # SlaStatus and others need no alert
        if self.settings.webhook_url is None:
            return
        if await asyncio.to_thread(self._already_sent, event, "webhook"):
            return
        result = await deliver(
            self.client,
            self.settings.webhook_url,
            self.settings.webhook_secret,
            alert_body(event),
            self.settings.delivery_attempts,
            self.settings.first_backoff_seconds,
        )
        alert = AlertDelivered(
            event_id=derived_id(event.event_id, "AlertDelivered:webhook"),
            occurred_at=self.clock.now(),
            region=event.region,
            alert_id=derived_id(event.event_id, "alert"),
            cause_event_id=event.event_id,
            transport="webhook",
            delivered=result.delivered,
            attempts=result.attempts,
            detail=result.detail,
        )
        await asyncio.to_thread(self._record, event, alert)
        await self.producer.publish(alert)

    def _already_sent(self, event: SlaBreached | SlaRecovered, transport: str) -> bool:
        with Session(self.engine) as session:
            return session.get(AlertLog, (event.event_id, transport)) is not None

    def _record(self, event: Any, alert: AlertDelivered) -> None:
        with Session(self.engine) as session:
            session.merge(
                AlertLog(
                    cause_event_id=event.event_id,
                    transport=alert.transport,
                    alert_id=alert.alert_id,
                    region=event.region.value,
                    kind=event.EVENT_TYPE,
                    delivered=alert.delivered,
                    attempts=alert.attempts,
                    detail=alert.detail,
                    at=alert.occurred_at,
                )
            )
            session.commit()
