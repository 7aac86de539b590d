"""`pkc run` gives a person on the desk the offer time-out and wrap-up in real seconds, however
fast the simulated clock runs."""

import pytest

from pkc.run import desk_timings


def test_the_desks_seconds_scale_with_the_clocks_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PKC_QUEUEING_OFFER_TIMEOUT_SECONDS", raising=False)
    monkeypatch.delenv("PKC_QUEUEING_WRAP_UP_SECONDS", raising=False)
    assert desk_timings(60) == {
        "PKC_QUEUEING_OFFER_TIMEOUT_SECONDS": "900",
        "PKC_QUEUEING_WRAP_UP_SECONDS": "1800",
    }
    assert desk_timings(1) == {
        "PKC_QUEUEING_OFFER_TIMEOUT_SECONDS": "15",
        "PKC_QUEUEING_WRAP_UP_SECONDS": "30",
    }


def test_what_the_environment_sets_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKC_QUEUEING_OFFER_TIMEOUT_SECONDS", "5")
    monkeypatch.delenv("PKC_QUEUEING_WRAP_UP_SECONDS", raising=False)
    assert desk_timings(60) == {"PKC_QUEUEING_WRAP_UP_SECONDS": "1800"}
