"""Downloads into the cache (Kafka's jars, Keycloak) are made once, whole, and not twice at once."""

import threading
from pathlib import Path

import pytest

from pkc.paths import built_once


def test_a_failed_build_leaves_nothing_and_the_next_call_builds_again(tmp_path: Path) -> None:
    home = tmp_path / "tool-1.0"

    def fails(target: Path) -> None:
        (target / "half.jar").write_text("half")
        raise RuntimeError("the download broke off")

    with pytest.raises(RuntimeError):
        built_once(home, fails)
    assert not home.exists()

    built_once(home, lambda target: (target / "whole.jar").write_text("whole"))
    assert sorted(p.name for p in home.iterdir()) == [".complete", "whole.jar"]


def test_two_first_runs_at_once_build_once(tmp_path: Path) -> None:
    home = tmp_path / "tool-1.0"
    builds: list[str] = []
    found: list[str] = []
    together = threading.Barrier(2)

    def build(target: Path) -> None:
        builds.append(threading.current_thread().name)
        (target / "tool.jar").write_text("tool")

    def first_run() -> None:
        together.wait()
        found.append((built_once(home, build) / "tool.jar").read_text())

    runs = [threading.Thread(target=first_run, name=f"run-{n}") for n in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert len(builds) == 1
    assert found == ["tool", "tool"]  # the second run waited for the first's build
