"""The adapters' callback registrations and the callback outbox: claimed for a lease by a
sender (of two replicas one gets a row), settled after each attempt: delivered, refused for
good (a 4xx other than 408/429, recorded with its status), or due again after a backoff."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.intake.signing import new_secret
from services.intake.status_tables import AdapterCallback, CallbackDelivery


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed for one attempt, with where it goes (None: the adapter has since
    removed its callback)."""

    delivery_id: int
    key: str
    body: str
    attempts: int
    url: str | None
    secret: str | None


@dataclass(frozen=True)
class Attempt:
    """One attempt's outcome."""

    delivery_id: int
    delivered: bool
    final: bool  # delivered or refused for good: never tried again
    detail: str


@dataclass(frozen=True)
class Backoff:
    first_seconds: float
    max_seconds: float
    lease_seconds: float  # longer than one attempt: no other sender takes it meanwhile

    def after(self, attempts: int) -> timedelta:
        """The wait before the next attempt, doubling per attempt up to the cap."""
        seconds = self.first_seconds * 2 ** min(max(attempts - 1, 0), 30)
        return timedelta(seconds=min(seconds, self.max_seconds))


class CallbackStore:
    def __init__(self, engine: Engine, backoff: Backoff):
        self.engine = engine
        self.backoff = backoff

    def register(self, owner: str, url: str, now: datetime) -> str:
        """Sets the adapter's callback URL with a new secret, which is returned (once)."""
        secret = new_secret()
        with Session(self.engine) as session:
            held = session.get(AdapterCallback, owner)
            if held is None:
                held = AdapterCallback(owner=owner, url=url, secret=secret, registered_at=now)
            else:
                held.url, held.secret, held.registered_at = url, secret, now
            session.add(held)
            session.commit()
        return secret

    def unregister(self, owner: str) -> bool:
        with Session(self.engine) as session:
            held = session.get(AdapterCallback, owner)
            if held is None:
                return False
            session.delete(held)
            session.commit()
        return True

    def claim_due(self, wall: datetime, limit: int = 50) -> list[Claimed]:
        """Claims up to `limit` due deliveries (moves each one's next_at past a lease, only if
        still due: of two senders that saw a row, one claims it)."""
        due = (col(CallbackDelivery.status) == "pending", col(CallbackDelivery.next_at) <= wall)
        query = (
            select(CallbackDelivery, AdapterCallback)
            .join(
                AdapterCallback,
                col(AdapterCallback.owner) == col(CallbackDelivery.owner),
                isouter=True,
            )
            .where(*due)
            .order_by(col(CallbackDelivery.id))
            .limit(limit)
        )
        lease_until = wall + timedelta(seconds=self.backoff.lease_seconds)
        claimed = []
        with Session(self.engine) as session:
            rows = session.exec(query).all()
            session.rollback()  # end the read: SQLite cannot upgrade a stale read to a write
            for delivery, callback in rows:
                claim = (
                    update(CallbackDelivery)
                    .where(col(CallbackDelivery.id) == delivery.id, *due)
                    .values(next_at=lease_until)
                    .execution_options(synchronize_session=False)
                )
                if session.exec(claim).rowcount == 1:
                    assert delivery.id is not None
                    claimed.append(
                        Claimed(
                            delivery.id,
                            delivery.key,
                            delivery.body,
                            delivery.attempts,
                            callback.url if callback else None,
                            callback.secret if callback else None,
                        )
                    )
            session.commit()
        return claimed

    def settle(self, attempt: Attempt, wall: datetime) -> None:
        with Session(self.engine) as session:
            delivery = session.get(CallbackDelivery, attempt.delivery_id)
            if delivery is None or delivery.status != "pending":
                return
            delivery.attempts += 1
            delivery.detail = attempt.detail[:200]
            if attempt.delivered:
                delivery.status, delivery.settled_at = "delivered", wall
            elif attempt.final:
                delivery.status, delivery.settled_at = "refused", wall
            else:
                delivery.next_at = wall + self.backoff.after(delivery.attempts)
            session.add(delivery)
            session.commit()

    def of_contact(self, contact_id: uuid.UUID) -> list[CallbackDelivery]:
        """A contact's deliveries in the order planned (for tests and support)."""
        with Session(self.engine, expire_on_commit=False) as session:
            query = (
                select(CallbackDelivery)
                .where(col(CallbackDelivery.contact_id) == contact_id)
                .order_by(col(CallbackDelivery.id))
            )
            return list(session.exec(query).all())
