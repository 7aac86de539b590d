"""Which OIDC issuer a local platform uses: the configured one (nothing starts), else a local
Keycloak, whose start overlaps Kafka's and which is stopped only if this run started it."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pkc.issuer import Issuer, configured_issuer, oidc_issuer, started_alongside


def test_an_issuer_in_settings_or_the_environment_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PKC_OIDC_ISSUER", raising=False)
    assert configured_issuer({}) is None
    given = {"PKC_OIDC_ISSUER": "https://idp.polisen.example/realms/pkc"}
    with oidc_issuer(tmp_path, settings=given) as issuer:
        assert issuer == Issuer("https://idp.polisen.example/realms/pkc", "pkc-platform")
        assert issuer.local is None
    monkeypatch.setenv("PKC_OIDC_ISSUER", "https://agency.example/realms/x")
    monkeypatch.setenv("PKC_OIDC_AUDIENCE", "pkc-prod")
    with oidc_issuer(tmp_path) as issuer:
        assert issuer.env() == {
            "PKC_OIDC_ISSUER": "https://agency.example/realms/x",
            "PKC_OIDC_AUDIENCE": "pkc-prod",
        }
    assert not list(tmp_path.iterdir()), "no provider state was created"


def test_a_slow_start_runs_beside_the_block_and_is_undone_after_it() -> None:
    release, events = threading.Event(), []

    @contextmanager
    def slow() -> Iterator[str]:
        release.wait(5)  # the start takes until the block has done its own work
        events.append("started")
        yield "issuer"
        events.append("stopped")

    with started_alongside(slow()) as ready:
        events.append("kafka started")  # while the slow start is still waiting
        release.set()
        assert ready() == "issuer"
    assert events == ["kafka started", "started", "stopped"]


def test_a_failed_start_is_raised_where_it_is_awaited_and_nothing_is_undone() -> None:
    @contextmanager
    def failing() -> Iterator[str]:
        raise RuntimeError("Keycloak did not answer")
        yield "never"  # pragma: no cover

    with started_alongside(failing()) as ready, pytest.raises(RuntimeError, match="answer"):
        ready()
