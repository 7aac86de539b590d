"""Publishes each region's queue state to the compacted topic pkc.queue.state, keyed by region:
when it changed, and at least every `queue_state_interval_seconds` while it did not.

It looks for changes every `live_interval_seconds` (the live stream's cadence) and at once
after a commit that wrote events, but no sooner than `LEAST_GAP_SECONDS` after its last look:
under load every commit woke it, and each look reads every waiting contact (a fifth of
queueing's CPU at 64 concurrent posts in `python -m bench profile`). Nor sooner than the read
allows (`look_gap`): its cost grows with the queue.

Only the replica whose outbox relay holds the lease publishes: a snapshot from another
replica, read a moment earlier but sent a moment later, would put an older state last on the
topic. A takeover starts by publishing every region.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from schemas import Region
from schemas.queue_state import QueueState
from schemas.topics import QUEUE_STATE
from services.queueing.outbox_store import LEASE, LEASE_NAME
from services.queueing.tables import utc
from services.shared.wakeup import Wakeup

log = logging.getLogger(__name__)
Send = Callable[[QueueState], Awaitable[None]]
Sent = tuple[dict[str, object], float]  # what a region's last record said, and when (monotonic)
LEAST_GAP_SECONDS = 0.25
# A look groups every waiting contact, so it costs more the more wait: on SQLite 1.8 ms at
# 1,000 waiting, 10.7 at 10,000, 50.5 at 40,000. In a scratch run of `bench native`'s platform
# whose contacts nobody answered (eight runs of 10,000), queueing's CPU per contact rose from
# 0.32 to 0.53-0.64 ms as they piled up; 0.29-0.36 with this bound. Reads take at most this
# share of the time, as long as a look a second allows it: with tens of thousands waiting (an
# incident, written contacts piling up) the states go out about once a second instead of
# every quarter, and queueing keeps its CPU for queueing them.
LOOK_SHARE = 0.05


def look_gap(read_seconds: float, least_gap_seconds: float, most_gap_seconds: float) -> float:
    """How long after a look began the next may begin, its read having taken `read_seconds`:
    never longer than `most_gap_seconds` (the look's cadence without commits), so that one
    slow read (a lock, a pause) does not hold back the heartbeat a board relies on."""
    return min(most_gap_seconds, max(least_gap_seconds, read_seconds / LOOK_SHARE))


def holds_lease(engine: Engine, holder: str) -> bool:
    """Whether `holder` holds the outbox relay's lease now (a read: the relay claims it). The
    lease lives in real time, whatever a simulated clock says."""
    with engine.connect() as connection:
        row = connection.execute(
            select(LEASE.c.holder, LEASE.c.expires_at).where(LEASE.c.name == LEASE_NAME)
        ).first()
    return row is not None and row.holder == holder and utc(row.expires_at) > datetime.now(UTC)


def kafka_sender(send_raw: Callable[..., Awaitable[None]]) -> Send:
    """Sends a snapshot keyed by its region (EventProducer.send_raw waits for the ack)."""

    async def send(state: QueueState) -> None:
        header = f"{state.STATE_TYPE}.v{state.SCHEMA_VERSION}".encode()
        await send_raw(QUEUE_STATE.name, state.to_json(), state.key(), [("state_type", header)])

    return send


_GROWING = {"as_of", "oldest_wait_seconds", "oldest_wait_by_queue"}


def _content(state: QueueState) -> dict[str, object]:
    """The state without its read time and its waits, which grow every second: a change is a
    change of what waits or who works; the heartbeat carries the waits on."""
    return state.model_dump(exclude=_GROWING)


class QueueStatePublisher:
    def __init__(
        self,
        read: Callable[[], list[QueueState]],
        leads: Callable[[], bool],
        send: Send,
        interval_seconds: float = 5.0,
        check_seconds: float = 1.0,
        least_gap_seconds: float = LEAST_GAP_SECONDS,
    ):
        self.read = read  # every region's state now
        self.leads = leads  # whether this replica publishes
        self.send = send
        self.interval_seconds = interval_seconds
        self.check_seconds = min(check_seconds, interval_seconds)
        self.least_gap_seconds = least_gap_seconds
        self.sent: dict[Region, Sent] = {}
        self.notify = Wakeup()  # called after a commit, from any thread: look again now
        self.read_seconds = 0.0  # what the last look's read took

    async def run(self) -> None:
        self.notify.bind()  # a commit during the first look makes the second come at once
        while True:
            looked = time.monotonic()
            try:
                await self.publish_due()
            except Exception as exc:  # an outage: the next round tries again
                log.warning("queue state not published (%s)", type(exc).__name__)
                self.sent.clear()  # unsure what reached the broker: send everything again
            await self.notify.wait(self.check_seconds)
            # Rate, not synchronisation: a commit meanwhile still ends the next wait at once.
            gap = look_gap(self.read_seconds, self.least_gap_seconds, self.check_seconds)
            await asyncio.sleep(max(0.0, looked + gap - time.monotonic()))

    async def publish_due(self) -> int:
        """Sends each region whose state changed or whose last send is an interval old; the
        number sent."""
        self.read_seconds = 0.0
        if not await asyncio.to_thread(self.leads):
            self.sent.clear()
            return 0
        states = await asyncio.to_thread(self._timed_read)
        sent = 0
        for state in states:
            content, last = _content(state), self.sent.get(state.region)
            if last is None or content != last[0] or self._interval_up(last):
                await self.send(state)
                self.sent[state.region] = (content, time.monotonic())
                sent += 1
        return sent

    def _timed_read(self) -> list[QueueState]:
        """The read, timed in its own thread: only it counts towards the gap, not the wait for
        a free thread nor the sends, which wait for the broker's acks."""
        began = time.monotonic()
        try:
            return self.read()
        finally:
            self.read_seconds = time.monotonic() - began

    def _interval_up(self, last: Sent) -> bool:
        return time.monotonic() - last[1] >= self.interval_seconds
