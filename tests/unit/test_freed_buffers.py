"""A service returns a freed fetch-sized buffer to the system (services/shared/start_up.py).

It runs in a fresh interpreter: glibc's mapping threshold, once raised, stays raised for the
life of the process, and this one's is the test runner's. Without the setting, the same run
keeps all 40 MiB resident after the free (glibc 2.36, Debian 12)."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A catch-up in small: buffers of a MiB (a fetch response's partition) with small objects
# made between them that outlive them, after one such buffer was freed already.
_CATCH_UP = """
import os
from bench.memory import resident_mib
from services.shared.start_up import return_freed_buffers

assert return_freed_buffers(), "glibc's mallopt refused the threshold"
first = bytes(1 << 20)
del first
before = resident_mib(os.getpid())
buffers, kept = [], []
for _ in range(40):
    buffers.append(bytearray(1 << 20))
    kept.append(bytearray(2000))
held = resident_mib(os.getpid())
del buffers
print(before, held, resident_mib(os.getpid()))
"""


def _catch_up() -> tuple[float, float, float]:
    run = subprocess.run(
        [sys.executable, "-c", _CATCH_UP], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    before, held, after = (float(x) for x in run.stdout.split())
    return before, held, after


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's")
def test_freed_fetch_buffers_leave_the_process() -> None:
    before, held, after = _catch_up()
    assert held - before >= 35  # the 40 MiB were resident while held
    assert after - before < 5, f"{after - before:.1f} MiB still resident after the free"
