"""Our Erlang C against pyworkforce's, our Erlang A against published values and exact limits."""

import itertools
import math

import numpy as np
import pytest

from domain.staffing.erlang_a import performance
from domain.staffing.erlang_c import service_level_c
from domain.staffing.need import operators_needed, service_level


def erlang_b(servers: int, traffic: float) -> float:
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


@pytest.mark.parametrize("arrivals_per_hour", [1, 7.5, 60, 120, 420, 2500])
@pytest.mark.parametrize("handling_seconds", [90, 360, 1200])
@pytest.mark.parametrize("threshold_seconds", [5, 20, 600])
def test_erlang_c_is_pyworkforce_s_at_every_staffing_that_carries_the_traffic(
    arrivals_per_hour: float, handling_seconds: float, threshold_seconds: float
) -> None:
    from pyworkforce.queuing import ErlangC

    model = ErlangC(
        transactions=arrivals_per_hour,
        aht=handling_seconds / 60,
        asa=threshold_seconds / 60,
        interval=60,
    )
    traffic = arrivals_per_hour * handling_seconds / 3600
    for operators in range(math.floor(traffic) + 1, math.ceil(traffic * 1.5) + 3):
        ours = service_level_c(operators, arrivals_per_hour, handling_seconds, threshold_seconds)
        assert ours == pytest.approx(min(1.0, model.service_level(operators)), abs=1e-12)


def test_erlang_c_matches_the_checked_pyworkforce_figures() -> None:
    # Checked against pyworkforce: 120 calls/h at 6 min each need 13 operators for 85 % within
    # 600 s and 17 within 20 s.
    assert operators_needed(120, 360, max_occupancy=1.0).erlang_c == 13
    assert operators_needed(120, 360, threshold_seconds=20, max_occupancy=1.0).erlang_c == 17
    need = operators_needed(120, 360)  # the 85 % occupancy cap: ceil(12 / 0.85)
    assert need.erlang_c == 15
    assert need.offered_erlangs == pytest.approx(12.0)


def test_pooling_figures_of_the_staffing_notes() -> None:
    # Seven regions of 6 Erlang need 49 for 85 %/10 min, one pool of 42 Erlang 44;
    # with the 85 % occupancy cap 56 versus 50.
    region = dict(arrivals_per_hour=60, handling_seconds=360)
    pool = dict(arrivals_per_hour=420, handling_seconds=360)
    assert 7 * operators_needed(**region, max_occupancy=1.0).erlang_c == 49
    assert operators_needed(**pool, max_occupancy=1.0).erlang_c == 44
    assert 7 * operators_needed(**region).erlang_c == 56
    assert operators_needed(**pool).erlang_c == 50


def test_erlang_c_service_level_is_zero_when_operators_cannot_carry_the_traffic() -> None:
    assert service_level(12, 120, 360) == 0.0
    assert service_level(11, 120, 360) == 0.0
    assert 0.0 < service_level(13, 120, 360) < 1.0


def test_erlang_a_becomes_erlang_c_as_patience_grows() -> None:
    for operators, arrivals, handling in [(13, 120, 360), (8, 40, 600), (60, 500, 420)]:
        erlang_c = service_level_c(operators, arrivals, handling, 600)
        erlang_a = service_level(operators, arrivals, handling, 1e9)
        assert erlang_a == pytest.approx(erlang_c, abs=1e-4)


def test_erlang_a_with_no_patience_is_erlang_b() -> None:
    # Callers who hang up at once are lost calls: P(abandon) = Erlang B. B(10, 5) = 0.018385
    # (the published table value).
    result = performance(10, 5 / 100, 100, 1e-6, 600)
    assert result.p_abandon == pytest.approx(0.018385, abs=1e-6)
    for servers, traffic in [(3, 2.5), (20, 15.0), (120, 110.0)]:
        lost = performance(servers, traffic / 100, 100, 1e-6, 600).p_abandon
        assert lost == pytest.approx(erlang_b(servers, traffic), rel=1e-6)


def test_when_patience_equals_handling_time_the_chain_is_m_m_infinity() -> None:
    # With θ = μ every caller in the system leaves at rate μ: the number in the system is
    # Poisson(λ/μ), so P(wait) is the Poisson tail at n and P(abandon) follows in closed form.
    servers, traffic, handling = 6, 5.0, 300.0
    result = performance(servers, traffic / handling, handling, handling, 600)
    k = np.arange(0, 200)
    poisson = np.exp(k * math.log(traffic) - traffic - np.array([math.lgamma(x + 1) for x in k]))
    assert result.p_wait == pytest.approx(poisson[servers:].sum(), rel=1e-9)
    abandon = sum(poisson[i] * (i - servers + 1) / (i + 1) for i in range(servers, 200))
    assert result.p_abandon == pytest.approx(abandon, rel=1e-9)


def test_abandonment_balances_patience_times_the_mean_queue() -> None:
    # Flow balance: callers abandon at rate θ·E[queue], which must equal λ·P(abandon); and the
    # operators' busy time equals the carried load.
    servers, lam, handling, patience = 9, 0.03, 330.0, 240.0
    result = performance(servers, lam, handling, patience, 600)
    carried = lam * (1 - result.p_abandon) * handling
    assert result.occupancy == pytest.approx(carried / servers)
    assert 0.0 < result.p_abandon < result.p_wait < 1.0


def uniformised(
    servers: int, lam: float, handling: float, patience: float, threshold: float
) -> tuple[float, float]:
    """P(answered within T) and P(abandon) by another route: the chain's stationary
    distribution from its generator matrix, and the tagged caller's killed chain uniformised."""
    mu, theta, size = 1 / handling, 1 / patience, servers + 400
    generator = np.zeros((size, size))
    for k in range(size - 1):
        generator[k, k + 1] = lam
        generator[k + 1, k] = min(k + 1, servers) * mu + max(k + 1 - servers, 0) * theta
    np.fill_diagonal(generator, -generator.sum(axis=1))
    system = np.vstack([generator.T, np.ones(size)])
    pi = np.linalg.lstsq(system, np.r_[np.zeros(size), 1.0], rcond=None)[0]
    ahead = pi[servers:]
    rates = servers * mu + np.arange(ahead.size) * theta  # leaving position j for j-1 (or a desk)
    uniform = rates.max() + theta
    stay = 1 - (rates + theta) / uniform
    mean = uniform * threshold  # Poisson weights in log space: e^-mean underflows
    state, served, answered = ahead.copy(), 0.0, 0.0
    for step in range(int(mean + 12 * math.sqrt(mean) + 20)):
        answered += math.exp(step * math.log(mean) - mean - math.lgamma(step + 1)) * served
        served += state[0] * rates[0] / uniform
        moved = state[1:] * rates[1:] / uniform
        state = state * stay
        state[:-1] += moved
    abandon = float(ahead @ ((np.arange(ahead.size) + 1) * theta / (rates + theta)))
    return float(pi[:servers].sum() + answered), abandon


@pytest.mark.parametrize(
    ("servers", "arrivals_per_hour", "handling", "patience"),
    [(3, 40, 300, 200), (5, 45, 400, 600), (4, 70, 240, 120)],
)
def test_closed_form_agrees_with_a_uniformised_chain(
    servers: int, arrivals_per_hour: float, handling: float, patience: float
) -> None:
    lam = arrivals_per_hour / 3600
    answered, abandon = uniformised(servers, lam, handling, patience, 600)
    result = performance(servers, lam, handling, patience, 600)
    assert result.answered_within == pytest.approx(answered, abs=1e-7)
    assert result.p_abandon == pytest.approx(abandon, abs=1e-9)


def test_erlang_a_handles_large_pools_and_extreme_patience() -> None:
    big = operators_needed(6000, 600, 900)
    assert big.erlang_a is not None
    assert big.erlang_a >= 1000 / 0.85 - 1
    # Overloaded with near-endless patience: the fluid limit, everybody waits past 10 minutes.
    assert service_level(10, 120, 600, 1e12) == 0.0
    assert performance(10, 120 / 3600, 600, 1e12, 600).p_abandon == pytest.approx(0.5)


def test_service_level_grows_with_operators() -> None:
    levels = [service_level(n, 200, 540, 900) for n in range(0, 60)]
    assert levels[0] == 0.0
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(levels))
    assert levels[-1] > 0.999


def test_zero_arrivals_need_no_operators() -> None:
    need = operators_needed(0, 600, 900)
    assert (need.erlang_c, need.erlang_a, need.offered_erlangs) == (0, 0, 0.0)
    assert need.service_level_c == need.service_level_a == 1.0
    assert service_level(0, 0, 600) == 1.0
    assert operators_needed(0, 600).erlang_a is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: operators_needed(-1, 600), "arrivals_per_hour must not be negative"),
        (lambda: operators_needed(10, 0), "handling_seconds must be greater than zero"),
        (lambda: operators_needed(10, -5), "handling_seconds must be greater than zero"),
        (lambda: operators_needed(10, 600, 0), "patience_seconds must be greater than zero"),
        (lambda: operators_needed(10, 600, target=1.0), "target must be in (0, 1)"),
        (lambda: operators_needed(10, 600, max_occupancy=0), "max_occupancy must be in (0, 1]"),
        (lambda: operators_needed(10, 600, threshold_seconds=0), "threshold_seconds must be"),
        (lambda: operators_needed(math.nan, 600), "arrivals_per_hour must be a finite number"),
        (lambda: service_level(-1, 10, 600), "operators must be a whole number"),
    ],
)
def test_invalid_inputs_are_refused_with_a_clear_message(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()  # type: ignore[operator]
