"""What reporting's process loads, since every library is resident memory (issue 20: ≤ 150 MiB
a service). Erlang A is computed in plain floats rather than numpy, and the identity check
fetches the issuer's keys with the standard library rather than httpx (with rich, pygments and
click behind it): 10.5 and 5 MiB that reporting would otherwise hold for nothing else."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("library", ["numpy", "httpx"])
def test_reporting_serves_without_loading(library: str) -> None:
    probe = f"import sys, pkc.serve, services.reporting.app; print({library!r} in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "False"
