"""A service returns a freed fetch-sized buffer to the system (services/shared/start_up.py).

It runs in a fresh interpreter: glibc's mapping threshold, once raised, stays raised for the
life of the process, and this one's is the test runner's. Without the setting, the same run
keeps all 40 MiB resident after the free (glibc 2.36, Debian 12)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A catch-up in small: buffers of a MiB (a fetch response's partition) with small objects
# made between them that outlive them, after one such buffer was freed already.
_CATCH_UP = """
from services.shared.start_up import return_freed_buffers

def resident_mib():
    status = open("/proc/self/status").read()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024

if not return_freed_buffers():
    print("unsupported")
    raise SystemExit
first = bytes(1 << 20)
del first
before = resident_mib()
buffers, kept = [], []
for _ in range(40):
    buffers.append(bytearray(1 << 20))
    kept.append(bytearray(2000))
held = resident_mib()
del buffers
print(before, held, resident_mib())
"""


def _catch_up() -> tuple[float, float, float] | None:
    out = subprocess.run(
        [sys.executable, "-c", _CATCH_UP], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if out == ["unsupported"]:
        return None
    before, held, after = (float(x) for x in out)
    return before, held, after


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_freed_fetch_buffers_leave_the_process() -> None:
    measured = _catch_up()
    if measured is None:
        pytest.skip("not glibc: mallopt is not there")
    before, held, after = measured
    assert held - before >= 35  # the 40 MiB were resident while held
    assert after - before < 5, f"{after - before:.1f} MiB still resident after the free"
