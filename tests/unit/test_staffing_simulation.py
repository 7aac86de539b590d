"""Erlang A against a discrete-event simulation of the same M/M/n+M queue (FCFS).

The simulation is seeded and bounded (200 000 callers per case, about a second). Its error is
measured, not assumed: callers are cut into 20 consecutive batches whose means are nearly
independent, and the model must lie within 4 standard errors of the batch means (plus 0.002 for
the bias of starting empty), which a correct model misses by chance about once in 15 000 runs.
"""

import heapq
import math
import random
from dataclasses import dataclass

import pytest

from domain.service_level import NATIONAL
from domain.staffing.erlang_a import performance

SHORT_ABANDON_SECONDS = NATIONAL.short_abandon_seconds

CALLERS = 200_000
BATCHES = 20


@dataclass
class Caller:
    arrived: float
    patience: float
    answered_after: float | None = None


def simulate(servers: int, lam: float, handling: float, patience: float, seed: int) -> list[Caller]:
    """Callers in order of arrival, each with the wait after which an operator answered (None:
    hung up first). FCFS makes this a recursion over callers: each caller is answered by the
    operator that frees up first after everyone answered before them, unless their patience
    runs out before that moment. Callers behind never change what happens to those ahead."""
    rng = random.Random(seed)
    callers: list[Caller] = []
    free_at = [0.0] * servers  # a heap of the times each operator becomes free
    now = 0.0
    for _ in range(CALLERS):
        now += rng.expovariate(lam)
        caller = Caller(now, rng.expovariate(1 / patience))
        wait = max(0.0, free_at[0] - now)
        if wait <= caller.patience:
            caller.answered_after = wait
            heapq.heapreplace(free_at, now + wait + rng.expovariate(1 / handling))
        callers.append(caller)
    return callers


def observed(callers: list[Caller], threshold: float) -> tuple[float, float]:
    within = sum(
        1 for c in callers if c.answered_after is not None and c.answered_after <= threshold
    )
    short = sum(
        1 for c in callers if c.answered_after is None and c.patience <= SHORT_ABANDON_SECONDS
    )
    abandoned = sum(1 for c in callers if c.answered_after is None)
    return within / (len(callers) - short), abandoned / len(callers)


def batch_error(callers: list[Caller], threshold: float) -> tuple[float, float]:
    size = len(callers) // BATCHES
    batches = [observed(callers[i * size : (i + 1) * size], threshold) for i in range(BATCHES)]
    errors = []
    for column in zip(*batches, strict=True):
        mean = sum(column) / BATCHES
        variance = sum((x - mean) ** 2 for x in column) / (BATCHES - 1)
        errors.append(math.sqrt(variance / BATCHES))
    return errors[0], errors[1]


@pytest.mark.parametrize(
    ("servers", "arrivals_per_hour", "handling", "patience", "seed"),
    [
        (5, 30, 540, 900, 1),  # a small region at peak: near 85 %
        (4, 30, 540, 900, 2),  # understaffed: long waits, many hang up
        (12, 110, 360, 240, 3),  # impatient callers on a busier queue
    ],
)
def test_erlang_a_agrees_with_a_simulation_of_the_same_queue(
    servers: int, arrivals_per_hour: float, handling: float, patience: float, seed: int
) -> None:
    lam = arrivals_per_hour / 3600
    callers = simulate(servers, lam, handling, patience, seed)
    level, abandon = observed(callers, 600)
    level_error, abandon_error = batch_error(callers, 600)
    model = performance(servers, lam, handling, patience, 600)
    assert abs(model.service_level - level) < 4 * level_error + 0.002
    assert abs(model.p_abandon - abandon) < 4 * abandon_error + 0.002
