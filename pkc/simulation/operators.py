"""Simulated operators: sign in to queueing as themselves (each a person of the realm with a
token of their own: queueing binds the session to the token's subject), take, answer, handle,
record, repeat (and the citizen of a contact this run posted may then rate it: adapter.py).

Each works the service-level policy's service hours on the simulated clock, holds a
contact for a gamma-distributed handling time (shape 2: less spread than exponential, as real
calls are), records a plausible outcome for its queue, and now and then takes a break.
"""

import asyncio
import random
import uuid

import httpx

from pkc.simulation.adapter import Handled, Switchboard
from pkc.simulation.calls import call, unexpected
from pkc.simulation.config import SimulationConfig
from pkc.simulation.profile import seconds_until_service
from pkc.simulation.signin import SignedIn
from pkc.simulation.stats import SimulationStats
from schemas import Channel, Region
from services.shared.clock import Clock

# What an operator records, by queue (queueing's Outcome values).
OUTCOMES = {
    "crime_report": {
        "report_filed": 0.80,
        "sent_to_e_service": 0.12,
        "information_given": 0.05,
        "transferred": 0.03,
    },
    "urgent": {"report_filed": 0.70, "transferred": 0.20, "information_given": 0.10},
    "switchboard": {"information_given": 0.75, "transferred": 0.20, "sent_to_e_service": 0.05},
}
PAUSE_REASONS = ("rast", "utbildning", "administration")  # queueing's fixed list
RETRY_REAL_SECONDS = 1.0  # after a failed request, before the next try


class SimulatedOperator:
    def __init__(
        self,
        operator_id: str,
        region: Region,
        config: SimulationConfig,
        clock: Clock,
        queueing: httpx.AsyncClient,
        person: SignedIn,
        stats: SimulationStats,
        switchboard: Switchboard,
    ):
        self.operator_id, self.region = operator_id, region
        self.config, self.clock, self.queueing = config, clock, queueing
        self.auth = person  # every call carries this person's own token
        self.stats, self.switchboard = stats, switchboard
        self.rng = random.Random(f"{config.seed}:{operator_id}")  # noqa: S311 - seeded
        self.on_duty = False  # queueing holds an open session for this person
        self.holding: uuid.UUID | None = None  # taken, not yet answered

    async def run(self) -> None:
        while True:
            closed_for = seconds_until_service(self.clock.now(), self.config.service_level)
            if closed_for > 0:
                await self.log_out()
                await self.clock.sleep(closed_for)
            elif not self.on_duty:
                if not await self.log_in():
                    await asyncio.sleep(RETRY_REAL_SECONDS)
            elif self.holding is not None:
                await self.answer(self.holding)
            else:
                await self.take_next()

    async def log_in(self, takeover: bool = False) -> bool:
        """Opens this person's session (home region from their token). A session still open
        from an earlier run of the simulator (killed before it logged out) is this same person's:
        it is taken over, explicitly."""
        body = {"takeover": takeover}
        response = await call(
            self.queueing, self.stats, "POST", "/operators/login", auth=self.auth, json=body
        )
        if response is None:
            return False
        if response.status_code == 409 and not takeover:
            return await self.log_in(takeover=True)
        if response.status_code != 200:
            unexpected(self.stats, response, "POST /operators/login")
            return False
        self.on_duty = True
        self.stats.operators_on_duty += 1
        return True

    async def log_out(self) -> None:
        if not self.on_duty:
            return
        path = "/operators/me/logout"
        await call(self.queueing, self.stats, "POST", path, auth=self.auth, attempts=1)
        self.on_duty = False
        self.stats.operators_on_duty -= 1

    async def take_next(self) -> None:
        response = await call(
            self.queueing, self.stats, "POST", "/operators/me/next", auth=self.auth
        )
        if response is None:
            await asyncio.sleep(RETRY_REAL_SECONDS)
        elif response.status_code == 204:
            await self.idle()
        elif response.status_code == 200:
            contact_id = uuid.UUID(response.json()["contact_id"])
            self.switchboard.taken(contact_id)  # the caller is ringing through: no hang-up now
            self.holding = contact_id
            await self.answer(contact_id, response.json()["queue"])
        elif response.status_code == 403:
            self.forget_session()  # queueing holds no session for us (a restart): sign in again
        else:
            unexpected(self.stats, response, "POST /operators/me/next")
            await asyncio.sleep(RETRY_REAL_SECONDS)

    async def answer(self, contact_id: uuid.UUID, queue: str = "crime_report") -> None:
        path = f"/contacts/{contact_id}/answer"
        response = await call(self.queueing, self.stats, "POST", path, auth=self.auth)
        if response is None:
            await asyncio.sleep(RETRY_REAL_SECONDS)
            return  # still holding: the next round tries again
        self.holding = None
        if response.status_code in (404, 409):
            return  # the caller hung up (or timed out) while it rang
        if response.status_code == 403:
            self.forget_session()
            return
        if response.status_code != 200:
            unexpected(self.stats, response, "POST /contacts/{id}/answer")
            return
        self.stats.answered += 1
        self.stats.answered_by_region[self.region] += 1
        if contact_id in self.switchboard.posted:
            self.stats.answered_posted += 1
        answered = response.json()
        await self.clock.sleep(self.rng.gammavariate(2.0, self.config.handling_seconds / 2.0))
        if await self.record(contact_id, queue):
            channel, waited = Channel(answered["channel"]), float(answered["wait_seconds"])
            self.switchboard.resolved(Handled(contact_id, channel, waited))
        if self.rng.random() < self.config.pause_probability:
            await self.pause()

    async def record(self, contact_id: uuid.UUID, queue: str) -> bool:
        weights = OUTCOMES.get(queue, OUTCOMES["crime_report"])
        outcome = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        path = f"/contacts/{contact_id}/outcome"
        response = await call(
            self.queueing, self.stats, "POST", path, auth=self.auth, json={"outcome": outcome}
        )
        if response is not None and response.status_code == 200:
            self.stats.resolved += 1
            return True
        if response is not None:
            unexpected(self.stats, response, "POST /contacts/{id}/outcome")
        return False

    async def pause(self) -> None:
        body = {"reason": self.rng.choice(PAUSE_REASONS)}
        response = await call(
            self.queueing, self.stats, "POST", "/operators/me/pause", auth=self.auth, json=body
        )
        if response is None or response.status_code != 200:
            return
        await self.clock.sleep(self.rng.expovariate(1.0 / self.config.pause_seconds))
        await call(self.queueing, self.stats, "POST", "/operators/me/resume", auth=self.auth)

    async def idle(self) -> None:
        """Nothing waiting: ask again soon (bounded in real time, to spare the machine)."""
        simulated = self.rng.uniform(0.5, 1.5) * self.config.idle_poll_seconds
        real = max(simulated / self.clock.speed, self.config.min_poll_real_seconds)
        await asyncio.sleep(real)

    def forget_session(self) -> None:
        if self.on_duty:
            self.stats.operators_on_duty -= 1
        self.on_duty, self.holding = False, None
