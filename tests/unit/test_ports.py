"""Ports for the servers the tests, the bench and `pkc run` start: free, and drawn from a range
of their own when two processes start servers side by side (`make test`)."""

import pytest

from pkc.ports import free_port


def test_ports_are_drawn_from_the_range_the_process_was_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PKC_PORT_RANGE", "27000-27100")
    drawn = {free_port() for _ in range(20)} | {free_port(pairs=2) + 1 for _ in range(20)}
    assert all(27000 <= port < 27100 for port in drawn)


def test_ports_drawn_before_their_servers_bind_them_are_all_different(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A platform draws its services' ports before it starts them: none may be drawn twice.
    monkeypatch.setenv("PKC_PORT_RANGE", "27200-27260")
    drawn = [free_port() for _ in range(20)] + [free_port(pairs=2) for _ in range(10)]
    taken = drawn[:20] + [port + i for port in drawn[20:] for i in (0, 1)]
    assert len(set(taken)) == len(taken) == 40


@pytest.mark.parametrize("given", ["27000", "27000-26000", "80-90", "low-high"])
def test_a_range_that_is_not_one_is_refused_with_what_was_given(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("PKC_PORT_RANGE", given)
    with pytest.raises(ValueError, match="PKC_PORT_RANGE") as refused:
        free_port()
    assert given in str(refused.value)
