"""The outbox as its relays see it: pending rows, the lease that says which relay publishes, and
marking rows published only while still holding that lease.

Replicas share one database and each runs a relay. One leader at a time (the lease), not rows
shared out with `SELECT ... FOR UPDATE SKIP LOCKED`: skipping locked rows lets two relays
publish one contact's events side by side, so `Answered` could reach Kafka after its
`ContactResolved`. A single publisher keeps commit order, which is per-contact order.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.queueing.tables import OutboxRecord, RelayLease

OUTBOX = OutboxRecord.__table__  # type: ignore[attr-defined]
LEASE = RelayLease.__table__  # type: ignore[attr-defined]
LEASE_NAME = "outbox"
_PENDING = (
    select(OUTBOX.c.id, OUTBOX.c.event_json, OUTBOX.c.traceparent)
    .where(OUTBOX.c.published.is_(False))
    .order_by(OUTBOX.c.id)
)
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pending:
    """An outbox row to send: the relay reads hundreds a round, so a plain value rather than an
    ORM object each (building those was 5 % of queueing's CPU under load)."""

    id: int
    event_json: str
    traceparent: str | None


def _wall_clock() -> datetime:
    # The lease lives in real time, whatever a simulated clock says; replicas' clocks must
    # agree to well within the lease (NTP does).
    return datetime.now(UTC)


class OutboxStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._ensure_lease_row()

    def pending(self, limit: int = 500) -> list[Pending]:
        """The oldest unpublished rows, in commit order."""
        query = _PENDING.limit(limit)
        with self.engine.connect() as connection:
            return [Pending(*row) for row in connection.execute(query)]

    def claim(self, holder: str, seconds: float, now: datetime | None = None) -> bool:
        """Takes the lease if it is free or expired, or renews it for its holder; True if
        `holder` holds it for `seconds` from now."""
        with self.engine.begin() as connection:
            return self._claim(connection, holder, seconds, now or _wall_clock())

    def release(self, holder: str) -> None:
        """Gives the lease up (a clean stop): another relay takes over at once."""
        with self.engine.begin() as connection:
            connection.execute(
                update(LEASE)
                .where(LEASE.c.name == LEASE_NAME, LEASE.c.holder == holder)
                .values(holder="", expires_at=NEVER)
            )

    def mark_published(
        self, ids: list[int], holder: str, seconds: float, now: datetime | None = None
    ) -> bool:
        """Marks the rows published and renews the lease, in one transaction, only if `holder`
        still holds it; False (nothing marked) if it lost it, and the new holder sends the rows
        again: at least once, never lost."""
        with self.engine.begin() as connection:
            if not self._claim(connection, holder, seconds, now or _wall_clock(), renew_only=True):
                return False
            connection.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(published=True))
            return True

    @staticmethod
    def _claim(
        connection: Connection,
        holder: str,
        seconds: float,
        now: datetime,
        renew_only: bool = False,
    ) -> bool:
        """One conditional UPDATE: whoever's WHERE matches holds the lease; two relays racing
        for an expired lease cannot both match (the row lock makes the second re-check). Its
        holder keeps it, even just past expiry, until another relay has claimed it."""
        held = LEASE.c.holder == holder
        free = held if renew_only else or_(held, LEASE.c.expires_at <= now)
        result = connection.execute(
            update(LEASE)
            .where(LEASE.c.name == LEASE_NAME, free)
            .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
        )
        return result.rowcount == 1

    def _ensure_lease_row(self) -> None:
        try:
            with self.engine.begin() as connection:
                exists = connection.execute(
                    select(LEASE.c.name).where(LEASE.c.name == LEASE_NAME)
                ).first()
                if exists is None:
                    connection.execute(
                        insert(LEASE).values(name=LEASE_NAME, holder="", expires_at=NEVER)
                    )
        except IntegrityError:
            pass  # another replica inserted it between our look and our insert
