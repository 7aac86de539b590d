"""The bench's latency rows (bench/results.py): p50, p95 and p99, and whether the p99 met the
goal set for it."""

from bench.results import Report


def _p99(latencies: list[float], goal_ms: int | None) -> tuple[float, str, bool | None]:
    report = Report()
    report.add_latencies("pipeline", "POST → window at 300/s", latencies, p99_goal_ms=goal_ms)
    (p99,) = [f for f in report.figures if f.measure.endswith("p99")]
    return p99.value, p99.goal, p99.met


def test_a_p99_over_its_goal_is_not_met() -> None:
    value, goal, met = _p99([0.1] * 97 + [0.6, 0.7, 0.8], goal_ms=500)
    assert value > 500
    assert (goal, met) == ("p99 ≤ 500 ms", False)


def test_a_p99_within_its_goal_is_met() -> None:
    value, goal, met = _p99([0.1] * 100, goal_ms=500)
    assert round(value) == 100
    assert (goal, met) == ("p99 ≤ 500 ms", True)


def test_a_row_without_a_goal_says_none() -> None:
    assert _p99([0.1] * 100, goal_ms=None)[1:] == ("", None)
