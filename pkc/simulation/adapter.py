"""The simulated channel adapters: contacts arrive, are posted to intake, and callers hang up.

Arrivals are a Poisson process whose rate follows the hour of the simulated day, drawn by
thinning: candidate arrivals at the peak rate, each kept with probability rate(now) / peak.
Every contact is posted like a real adapter posts it (its channel's service-account token, an
idempotency key, the moment it reached the adapter as received_at); a phone caller then waits
with exponential patience and, if no operator has taken the call by then, the hang-up is
reported to queueing. After an answered contact, a share of the citizens rate it: the adapter
that posted it posts the rating to intake (ratings.py chooses).
"""

import asyncio
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from pkc.simulation.calls import call, unexpected
from pkc.simulation.config import SimulationConfig
from pkc.simulation.ratings import ChosenRating, choose_rating
from pkc.simulation.signin import SignedIn
from pkc.simulation.stats import SimulationStats
from pkc.simulation.traffic import Arrivals, Contact
from schemas import Channel, NeedCategory
from services.shared.clock import Clock


@dataclass(frozen=True)
class Handled:
    """A contact of ours an operator answered and gave an outcome: its citizen may rate it."""

    contact_id: uuid.UUID
    channel: Channel
    waited_seconds: float


@dataclass
class Switchboard:
    """What callers and operators share: who is still on the line, which contacts are ours,
    and which of ours were handled (for their citizens to rate)."""

    waiting: set[uuid.UUID] = field(default_factory=set)  # phone callers not yet taken
    posted: set[uuid.UUID] = field(default_factory=set)
    handled: asyncio.Queue[Handled] = field(default_factory=asyncio.Queue)

    def taken(self, contact_id: uuid.UUID) -> None:
        self.waiting.discard(contact_id)

    def resolved(self, contact: Handled) -> None:
        if contact.contact_id in self.posted:  # another adapter's contact is not ours to rate
            self.handled.put_nowait(contact)


class Adapters:
    def __init__(
        self,
        config: SimulationConfig,
        clock: Clock,
        intake: httpx.AsyncClient,
        queueing: httpx.AsyncClient,
        adapters: Mapping[Channel, SignedIn],
        stats: SimulationStats,
        switchboard: Switchboard,
    ):
        self.config, self.clock, self.stats = config, clock, stats
        self.intake, self.queueing = intake, queueing
        self.adapters = adapters  # each channel's adapter signs in as itself
        self.switchboard = switchboard
        self.rng = random.Random(config.seed)  # noqa: S311 - a seeded simulation
        self.model = config.traffic()
        self.run_id = uuid.uuid4().hex[:12]  # a rerun on the same state must not reuse keys
        self.sequence = 0
        self.in_flight: set[asyncio.Task[None]] = set()

    async def arrivals(self) -> None:
        arrivals = Arrivals(self.model, self.rng)
        while True:
            await self.clock.sleep(arrivals.gap())
            if not arrivals.kept(self.clock.now()):
                continue
            contact = self.model.draw(self.rng)
            patience = self.rng.expovariate(1.0 / self.config.patience_seconds)
            if len(self.in_flight) >= self.config.max_in_flight:
                self.stats.dropped += 1  # intake is not keeping up; never queue without bound
                continue
            self.sequence += 1
            task = asyncio.create_task(self.contact(contact, self.sequence, patience))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    async def contact(self, contact: Contact, sequence: int, patience: float) -> None:
        received_at = self.clock.now()
        body = {
            "idempotency_key": f"{self.run_id}-{sequence}",
            "source": self.config.source,
            "region": contact.region.value,
            "channel": contact.channel.value,
            "text": contact.text,
            "received_at": received_at.isoformat(),
        }
        adapter = self.adapters.get(contact.channel)
        response = await call(self.intake, self.stats, "POST", "/contacts", auth=adapter, json=body)
        if response is None:
            self.stats.dropped += 1
            return
        if response.status_code not in (200, 202):
            unexpected(self.stats, response, "POST /contacts")
            self.stats.dropped += 1
            return
        contact_id = uuid.UUID(response.json()["contact_id"])
        self.switchboard.posted.add(contact_id)
        self.stats.posted_by_region[contact.region] += 1
        self.stats.posted_by_channel[contact.channel] += 1
        if not self._waits_on_the_line(contact, received_at):
            return
        self.switchboard.waiting.add(contact_id)
        await self.clock.sleep(patience)
        if contact_id in self.switchboard.waiting:
            self.switchboard.waiting.discard(contact_id)
            await self.hang_up(contact_id)

    def _waits_on_the_line(self, contact: Contact, received_at: datetime) -> bool:
        """Phone callers queue; Nöd is sent to 112 at once, and out of hours the queue is shut."""
        return (
            contact.channel == Channel.PHONE
            and contact.category != NeedCategory.EMERGENCY
            and self.config.service_level.within_hours(received_at)
        )

    async def ratings(self) -> None:
        """Citizens rate a share of the handled contacts, through the adapter that posted each."""
        while True:
            handled = await self.switchboard.handled.get()
            chosen = choose_rating(self.rng, handled.waited_seconds, self.config.rating_share)
            if chosen is None or len(self.in_flight) >= self.config.max_in_flight:
                continue
            task = asyncio.create_task(self.rate(handled, chosen))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    async def rate(self, handled: Handled, chosen: ChosenRating) -> None:
        path = f"/contacts/{handled.contact_id}/rating"
        adapter = self.adapters.get(handled.channel)
        body = chosen.body()
        response = await call(self.intake, self.stats, "POST", path, auth=adapter, json=body)
        if response is None:
            return
        if response.status_code == 202:
            self.stats.rated += 1
            self.stats.rating_sum += chosen.rating
        elif response.status_code != 409:  # 409: a retry of a rating whose answer was lost
            unexpected(self.stats, response, "POST /contacts/{id}/rating")

    async def hang_up(self, contact_id: uuid.UUID) -> None:
        path = f"/contacts/{contact_id}/abandon"
        phone = self.adapters.get(Channel.PHONE)  # only phone callers wait on the line
        response = await call(
            self.queueing, self.stats, "POST", path, auth=phone, json={"reason": "hung_up"}
        )
        if response is None:
            return
        if response.status_code == 200:
            self.stats.abandoned += 1
        elif response.status_code not in (404, 409):
            # 404: not queued (yet); 409: answered or timed out meanwhile. Both are ordinary.
            unexpected(self.stats, response, "POST /contacts/{id}/abandon")
