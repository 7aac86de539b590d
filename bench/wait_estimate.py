"""The wait estimate's mean absolute error against the real waits of a simulated day.

A weekday's contacts that reach an operator (every channel), in every region, from the
simulation's day model (pkc/simulation: the traffic model's hourly profile and population
shares, its Erlang-A calibrated staffing, gamma handling times, callers' exponential
patience), run through a discrete-event queue from opening to closing (07:00-20:00): first
come, first served, n operators, each contact's handling followed by the desk's wrap-up. At
each arrival the service's estimator (services/queueing/wait_estimate.py) is asked, with what
queueing would read then: the position, the operators ready, those staffed, the answers and
hang-ups of the last 15 minutes. Its estimate is compared with the wait the contact then had
until an operator took it; callers who hung up first have no real wait to compare with and
are counted apart. Asterisk's announced hold time (an average of recent waits) is computed
beside it for comparison.
"""

import heapq
import itertools
import random
import statistics
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from bench.results import Figure, Report
from pkc.simulation import SimulationConfig, TrafficModel, calibrated_staffing
from services.queueing.settings import QueueingSettings
from services.queueing.wait_estimate import RATE_WINDOW, QueueLoad, estimate_wait

OPENS, CLOSES = 7 * 3600.0, 20 * 3600.0
SEED = 16
GOAL_SECONDS = 120.0


@dataclass
class _Region:
    operators: int
    handling: float
    patience: float
    wrap_up: float
    rng: random.Random
    ready: int = 0
    queue: deque[int] = field(default_factory=deque)
    arrived: dict[int, float] = field(default_factory=dict)
    estimates: dict[int, float | None] = field(default_factory=dict)
    answers: deque[float] = field(default_factory=deque)
    hang_ups: deque[float] = field(default_factory=deque)
    errors: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    hung_up: int = 0
    unestimated: int = 0
    # Asterisk's announced hold time, for comparison: (3 x old + last wait) / 4 per answer.
    holdtime: float = 0.0
    baseline: dict[int, float] = field(default_factory=dict)
    baseline_errors: list[float] = field(default_factory=list)

    def load(self, now: float) -> QueueLoad:
        for recent in (self.answers, self.hang_ups):
            while recent and recent[0] < now - RATE_WINDOW.total_seconds():
                recent.popleft()
        aht = self.handling + self.wrap_up
        return QueueLoad(len(self.answers), self.operators, self.ready, aht, len(self.hang_ups))

    def answer(self, contact: int, now: float) -> float:
        """The operator takes `contact`; when they are free again."""
        self.answers.append(now)
        waited = now - self.arrived.pop(contact)
        self.waits.append(waited)
        self.baseline_errors.append(abs(self.baseline.pop(contact) - waited))
        self.holdtime = (3 * self.holdtime + waited) / 4
        estimate = self.estimates.pop(contact)
        if estimate is None:
            self.unestimated += 1
        else:
            self.errors.append(abs(estimate - waited))
        return now + self.rng.gammavariate(2.0, self.handling / 2.0) + self.wrap_up


def simulate_day(hourly: list[float], region: _Region) -> None:
    """One region's open hours; `hourly`: calls per local hour reaching an operator."""
    events: list[tuple[float, int, int]] = []
    rng, ids = region.rng, itertools.count()
    region.ready = region.operators
    peak = max(hourly) / 3600.0
    now = OPENS
    while (now := now + rng.expovariate(peak)) < CLOSES:  # thinning: exact hourly rates
        if rng.random() * peak < hourly[int(now // 3600)] / 3600.0:
            heapq.heappush(events, (now, 1, next(ids)))
    while events:
        now, kind, contact = heapq.heappop(events)
        if kind == 1:  # an arrival: ask the estimator, then queue or answer at once
            region.arrived[contact] = now
            position = len(region.queue) + 1
            region.estimates[contact] = estimate_wait(position, region.load(now))
            region.baseline[contact] = region.holdtime
            region.queue.append(contact)
            heapq.heappush(events, (now + rng.expovariate(1 / region.patience), 2, contact))
        elif kind == 2 and contact in region.arrived and contact in region.queue:
            region.queue.remove(contact)  # hung up while waiting
            del region.arrived[contact], region.estimates[contact], region.baseline[contact]
            region.hung_up += 1
            region.hang_ups.append(now)
        elif kind == 0:
            region.ready += 1  # an operator is free again
        while region.ready and region.queue:
            region.ready -= 1
            free_at = region.answer(region.queue.popleft(), now)
            heapq.heappush(events, (free_at, 0, -1))


def run(report: Report, workdir: Path, postgres_url: str | None) -> None:
    config, wrap_up = SimulationConfig(), QueueingSettings().wrap_up_seconds
    model = TrafficModel()
    staffing = calibrated_staffing(model, config.handling_seconds, config.patience_seconds)
    regions = []
    for index, (name, hourly) in enumerate(sorted(model.operator_load().items())):
        rng = random.Random(SEED + index)
        region = _Region(
            staffing[name], config.handling_seconds, config.patience_seconds, wrap_up, rng
        )
        simulate_day(hourly, region)
        regions.append(region)
    errors = [e for r in regions for e in r.errors]
    waits = [w for r in regions for w in r.waits]
    mae = statistics.fmean(errors)
    asterisk = statistics.fmean(e for r in regions for e in r.baseline_errors)
    report.add(
        Figure(
            "wait",
            "estimated wait's mean absolute error, a simulated weekday",
            mae,
            "s",
            goal=f"≤ {GOAL_SECONDS:.0f} s",
            met=mae <= GOAL_SECONDS,
            note=(
                f"{len(errors)} answered contacts in 7 regions, mean real wait "
                f"{statistics.fmean(waits):.0f} s, median error "
                f"{statistics.median(errors):.0f} s; {sum(r.hung_up for r in regions)} hung "
                f"up (no real wait), {sum(r.unestimated for r in regions)} without an estimate; "
                f"Asterisk's hold-time average would be off by {asterisk:.0f} s"
            ),
        )
    )
