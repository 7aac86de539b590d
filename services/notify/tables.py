import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class AlertLog(SQLModel, table=True):
    """One row per alert delivery; (cause_event_id, transport) is delivered once."""

    __tablename__ = "notify_alert_log"

    cause_event_id: uuid.UUID = Field(primary_key=True)
    transport: str = Field(primary_key=True, max_length=16)
    alert_id: uuid.UUID
    region: str = Field(max_length=20)
    kind: str = Field(max_length=32)
    delivered: bool
    attempts: int
    detail: str = Field(max_length=200)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
