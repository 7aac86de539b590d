"""The reporting dashboard, rendered by a real headless Chromium against the running platform."""

import shutil
import struct
import subprocess
import zlib
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_skeleton_flow import (
    THEFT_REPORT,
    log_in,
    post_contact,
    take_when_queued,
    wait_for_sla,
)

pytestmark = pytest.mark.kafka
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=8000",
    "--window-size=1280,900",
]


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct scanline bytes (a blank page has ~1)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = b"", 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(chunks)
    return width, height, len(set(pixels[:200_000]))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (CI installs it)")
def test_the_dashboard_renders_every_region_live(platform: Platform, tmp_path: Path) -> None:
    # Mitt gets one call answered within a minute (no other end-to-end test uses Mitt).
    operator = log_in(platform, "op-dash", "mitt")
    contact = post_contact(platform, "dash-1", "mitt", THEFT_REPORT, timedelta(minutes=1))
    assert take_when_queued(platform, operator)["contact_id"] == contact
    httpx.post(f"{platform.url('queueing')}/contacts/{contact}/answer", headers=operator)
    wait_for_sla(platform, "mitt", lambda r: r["window"]["answered_within"] >= 1)

    url = f"{platform.url('reporting')}/?updates=1"
    dom = chromium(["--dump-dom", url], tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-500:]
    for name in ("Stockholm", "Väst", "Öst", "Bergslagen", "Mitt", "Nord", "Syd"):
        assert f'<div class="name">{name}</div>' in dom.stdout, f"{name} card not rendered"
    assert "uppdaterad" in dom.stdout, "the live stream delivered an update"
    mitt = dom.stdout[dom.stdout.index('data-region="mitt"') :][:900]
    assert '<div class="share">100,0 %</div>' in mitt, "Mitt's live share is shown"
    # One call is too few to judge (the platform's minimum volume is 5): low volume, not "ok".
    assert 'class="card low"' in dom.stdout
    assert "låg volym" in mitt
    assert "nya i kö" in mitt, "the window says what it counts"
    assert "Mål 85 % (07:00–20:00)" in dom.stdout, "the target is the policy's"

    shot = tmp_path / "dashboard.png"
    result = chromium([f"--screenshot={shot}", url], tmp_path / "profile-shot")
    assert result.returncode == 0, result.stderr[-500:]
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1280, 900)
    assert colours > 20, "the screenshot is not a blank page"
