"""What the supervisor board shows, read from the queueing database: every region's queue state
(schemas/queue_state.py, the figures of the compacted topic), and, for the regions the
supervisor leads, their operators by state with time in state and pause reason, the contacts
waiting longest (to move or raise) and the open reinforcement orders.

Queue state is counts only and shown nationally to every supervisor; names of operators and
contact ids are shown for the supervisor's own region (every region for national ones)."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import exists, select

from schemas import Region
from schemas.queue_state import QueueState
from services.queueing.domain import ContactStatus, wait_seconds
from services.queueing.queue_state import HELD, QueueStates, operator_state
from services.queueing.reinforcements import Reinforcements
from services.queueing.statements import ENTRY, OPERATOR
from services.queueing.store import QueueDb
from services.queueing.tables import utc
from services.queueing.views import OrderView

WAITING_SHOWN = 25  # per region: the board lists the longest waiting, the topic counts them all


class OperatorOnBoard(BaseModel):
    operator_id: str = Field(description="the person's token subject")
    name: str
    region: Region
    state: str = Field(description="ready, offered, busy, wrap_up, paused or signed_out")
    pause_reason: str | None
    since: datetime | None = Field(description="when they entered the state")
    seconds_in_state: float | None
    lent_to_order: uuid.UUID | None


class WaitingOnBoard(BaseModel):
    """A waiting contact as the board shows it: no citizen data, only how it waits."""

    contact_id: uuid.UUID
    region: Region
    queue: str
    channel: str
    category: str
    priority: int
    waited_seconds: float
    possible_emergency: bool


class Board(BaseModel):
    as_of: datetime
    regions: list[QueueState] = Field(description="every region (counts only)")
    operators: list[OperatorOnBoard] = Field(description="the supervisor's regions")
    waiting: list[WaitingOnBoard] = Field(description=f"the {WAITING_SHOWN} first per region")
    orders: list[OrderView] = Field(description="open reinforcement orders, every region")


class BoardReader:
    def __init__(self, db: QueueDb, states: QueueStates, reinforcements: Reinforcements):
        self.db = db
        self.states = states
        self.reinforcements = reinforcements

    def board(self, region: Region | None, now: datetime) -> Board:
        """The board of one region's supervisor, or a national one's (`region` None)."""
        return Board(
            as_of=now,
            regions=self.states.read(now),
            operators=self.operators(region, now),
            waiting=self.waiting(region, now),
            orders=[OrderView.of(order) for order in self.reinforcements.active(now)],
        )

    def operators(self, region: Region | None, now: datetime) -> list[OperatorOnBoard]:
        holds = exists().where(
            ENTRY.c.operator_id == OPERATOR.c.operator_id, ENTRY.c.status.in_(HELD)
        )
        query = select(OPERATOR, holds.label("holds")).order_by(OPERATOR.c.region, OPERATOR.c.name)
        if region is not None:
            query = query.where(OPERATOR.c.region == region.value)
        with self.db.engine.connect() as connection:
            rows = list(connection.execute(query))
        shown = []
        for row in rows:
            since = utc(row.status_since) if row.status_since else None
            shown.append(
                OperatorOnBoard(
                    operator_id=row.operator_id,
                    name=row.name,
                    region=Region(row.region),
                    state=operator_state(row.status, bool(row.holds)).value,
                    pause_reason=row.pause_reason,
                    since=since,
                    seconds_in_state=wait_seconds(since, now) if since else None,
                    lent_to_order=row.lent_order_id,
                )
            )
        return shown

    def waiting(self, region: Region | None, now: datetime) -> list[WaitingOnBoard]:
        """Per region, the first `WAITING_SHOWN` waiting contacts in the order they are served."""
        found: list[WaitingOnBoard] = []
        for wanted in [region] if region else list(Region):
            query = (
                select(ENTRY)
                .where(
                    ENTRY.c.status == ContactStatus.WAITING.value,
                    ENTRY.c.region == wanted.value,
                )
                .order_by(ENTRY.c.rank_at, ENTRY.c.received_at)
                .limit(WAITING_SHOWN)
            )
            with self.db.engine.connect() as connection:
                rows = list(connection.execute(query))
            found += [
                WaitingOnBoard(
                    contact_id=row.contact_id,
                    region=Region(row.region),
                    queue=row.queue,
                    channel=row.channel,
                    category=row.category,
                    priority=row.priority,
                    waited_seconds=wait_seconds(utc(row.received_at), now),
                    possible_emergency=row.possible_emergency,
                )
                for row in rows
            ]
        return found
