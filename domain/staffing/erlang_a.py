"""Erlang A (M/M/n+M): Poisson arrivals, n operators, exponential handling and exponential patience.

pyworkforce has no Erlang A, so it is written here, exactly rather than by approximation:

1. The number in the system is a birth-death chain (births λ, deaths min(k, n)·μ + max(k-n, 0)·θ);
   its stationary distribution is built in log space (no overflow at hundreds of operators) and
   truncated where the tail is below 1e-17 of the peak. By PASTA it is what an arrival sees.
2. Tagged caller, FCFS: finding j callers waiting ahead, the caller reaches an operator after
   j+1 phases with rates n·μ + i·θ (i = j … 0: a departure of the head or an abandonment ahead),
   while their own patience runs. Those rates form an arithmetic progression, so the time to reach
   an operator has the density C·e^{-nμt}(1 - e^{-θt})^j, and integrating it against the caller's
   patience gives regularised incomplete beta functions in x = e^{-θT} with an integer second
   parameter: negative-binomial sums, computed for every j at once by a cumulative sum of terms
   that are built in log space. No time stepping, no cancellation between large terms.

Service level is counted as the service-level policy counts it (domain/service_level.py):
answered within T divided by (answered + abandoned after the short-abandon limit); abandons
within it count in neither.

Plain floats, not numpy: reporting computes this for a region's breach, and numpy would be its
only reason to load numpy (10.5 MiB resident, issue 20's memory goal). It is 4 to 6 times
slower than numpy was: a region's need at 300 calls/h takes 5.2 ms instead of 1.2 (at 1,000
calls/h 20 instead of 3.3), once per breach decision; `pkc staffing` 1.5 s instead of 1.0.
"""

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.service_level import NATIONAL
from domain.staffing import inputs

_TAIL_LOG = -40.0  # truncate the chain where a state's probability is e^-40 of the peak's
_MAX_QUEUE_STATES = 2_000_000  # beyond this the queue is a fluid: see _overloaded


@dataclass(frozen=True)
class ErlangAResult:
    p_wait: float  # an arrival finds every operator busy
    p_abandon: float  # an arrival hangs up before an operator answers
    answered_within: float  # an arrival is answered within the threshold
    abandoned_short: float  # an arrival hangs up within the short-abandon threshold
    occupancy: float  # the share of operator time spent handling (carried load / operators)

    @property
    def service_level(self) -> float:
        counted = 1.0 - self.abandoned_short
        return 1.0 if counted <= 0 else min(1.0, self.answered_within / counted)


def performance(
    operators: int,
    arrivals_per_second: float,
    handling_seconds: float,
    patience_seconds: float,
    threshold_seconds: float,
    short_abandon_seconds: float = NATIONAL.short_abandon_seconds,
) -> ErlangAResult:
    """The M/M/n+M figures for one staffing level (rates per second)."""
    n, lam = operators, arrivals_per_second
    mu, theta = 1.0 / handling_seconds, 1.0 / patience_seconds
    if lam == 0:
        return ErlangAResult(0.0, 0.0, 1.0, 0.0, 0.0)
    if n == 0:
        return ErlangAResult(1.0, 1.0, 0.0, -math.expm1(-theta * short_abandon_seconds), 0.0)
    states = _stationary(n, lam, mu, theta)
    if states is None:
        return _overloaded(n, lam, mu)
    below, ahead = states[:n], states[n:]  # ahead[j]: an arrival finds j callers waiting
    alpha, count = n * mu / theta, len(ahead)
    served = [alpha / (alpha + j + 1.0) for j in range(count)]  # P(reach an operator | j ahead)
    x = math.exp(-theta * threshold_seconds)
    within = [s * (1.0 - b) for s, b in zip(served, _beta_int(x, alpha + 1.0, count), strict=True)]
    z = math.exp(-theta * short_abandon_seconds)
    short = [
        min(1.0, max(0.0, 1.0 - z * b - s * (1.0 - b_next)))
        for s, b, b_next in zip(
            served, _beta_int(z, alpha, count), _beta_int(z, alpha + 1.0, count), strict=True
        )
    ]
    p_abandon = _dot(ahead, (1.0 - reached for reached in served))
    carried = lam * (1.0 - p_abandon) / mu
    return ErlangAResult(
        p_wait=math.fsum(ahead),
        p_abandon=p_abandon,
        answered_within=math.fsum(below) + _dot(ahead, within),
        abandoned_short=_dot(ahead, short),
        occupancy=min(1.0, carried / n),
    )


def _dot(weights: Sequence[float], values: Iterable[float]) -> float:
    return math.fsum(w * v for w, v in zip(weights, values, strict=True))


def _stationary(n: int, lam: float, mu: float, theta: float) -> list[float] | None:
    """P(k in the system), k = 0 … n+J; None when the queue is too long to hold (see below)."""
    # log π_k - log π_0 = k·log(λ/μ) - log k!  for k ≤ n
    log_load = math.log(lam / mu)
    low = list(itertools.accumulate((log_load - math.log(k) for k in range(1, n + 1)), initial=0.0))
    # The queue's ratio λ/(nμ + jθ) falls below 1 after j*, then the tail dies off like a
    # Poisson tail of mean λ/θ: start a little past that and double until the tail is gone.
    crossing = max(0.0, (lam - n * mu) / theta)
    size = int(crossing + 10.0 * math.sqrt(lam / theta + 1.0) + 100.0)
    log_lam, served_rate = math.log(lam), n * mu
    while True:
        if size > _MAX_QUEUE_STATES:
            return None
        high = itertools.accumulate(
            (log_lam - math.log(served_rate + j * theta) for j in range(1, size + 1)),
            initial=low[-1],
        )
        logs = low + list(high)[1:]
        peak = max(logs)
        if logs[-1] - peak < _TAIL_LOG:
            break
        size *= 2
    probabilities = [math.exp(log - peak) for log in logs]
    total = math.fsum(probabilities)
    return [p / total for p in probabilities]


def _beta_int(x: float, a: float, count: int) -> list[float]:
    """I_x(a, j+1) for j = 0 … count-1: the regularised incomplete beta function, integer b.

    I_x(a, b) = Σ_{l<b} Γ(a+l)/(Γ(a)·l!) · x^a · (1-x)^l (the negative-binomial distribution
    function); terms are built in log space and summed in increasing l, so all j come from one
    cumulative sum and no term overflows.
    """
    if x >= 1.0:
        return [1.0] * count
    if x <= 0.0:
        return [0.0] * count
    log_rest = math.log1p(-x)
    log_term, total, sums = a * math.log(x), 0.0, []
    for k in range(count):  # term k from term k-1: × (a+k-1)/k · (1-x), in log space
        if k:
            log_term += math.log((a + k - 1.0) / k) + log_rest
        total += math.exp(log_term)
        sums.append(min(1.0, total))
    return sums


def _overloaded(n: int, lam: float, mu: float) -> ErlangAResult:
    """The fluid limit: with (almost) endless patience and arrivals above capacity, the queue
    holds millions of callers; everybody waits far beyond any threshold, the operators are always
    busy, and what they cannot take abandons (λ - nμ of λ)."""
    return ErlangAResult(1.0, max(0.0, 1.0 - n * mu / lam), 0.0, 0.0, 1.0)


def service_level_a(
    operators: int,
    arrivals_per_hour: float,
    handling_seconds: float,
    patience_seconds: float,
    threshold_seconds: float,
    short_abandon_seconds: float,
) -> float:
    return performance(
        operators,
        arrivals_per_hour / inputs.SECONDS_PER_HOUR,
        handling_seconds,
        patience_seconds,
        threshold_seconds,
        short_abandon_seconds,
    ).service_level


def operators_a(
    arrivals_per_hour: float,
    handling_seconds: float,
    patience_seconds: float,
    target: float,
    threshold_seconds: float,
    max_occupancy: float,
    short_abandon_seconds: float,
) -> tuple[int, float]:
    """The fewest operators that reach `target` with occupancy ≤ `max_occupancy`, and the
    service level they give. The service level grows with operators: bisection finds the first."""
    lam = arrivals_per_hour / inputs.SECONDS_PER_HOUR
    if lam == 0:
        return 0, 1.0

    def figures(n: int) -> ErlangAResult:
        return performance(
            n, lam, handling_seconds, patience_seconds, threshold_seconds, short_abandon_seconds
        )

    low, high = 0, max(1, math.ceil(lam * handling_seconds))
    while figures(high).service_level < target:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if figures(middle).service_level >= target:
            high = middle
        else:
            low = middle
    result = figures(high)
    while result.occupancy > max_occupancy:
        high += 1
        result = figures(high)
    return high, result.service_level
