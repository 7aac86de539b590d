"""The bench's memory figures read the kernel's high-water mark: a peak the process has since
given back still counts against the goal, until the bench starts the peak afresh."""

import mmap
import os

from bench.memory import MEMORY_GOAL_MIB, peak_figure, reset_peak, resident_mib

MIB = 1024 * 1024


def _held_and_given_back(pid: int) -> tuple[float, float]:
    """Resident memory while 96 MiB more is held, and after it is given back. A mapping of its
    own, so it is given back whatever the allocator keeps."""
    held = mmap.mmap(-1, 96 * MIB)
    held.write(b"\x01" * (96 * MIB))  # every page touched, so resident
    while_held = resident_mib(pid)
    held.close()
    return while_held, resident_mib(pid)


def test_the_peak_outlasts_memory_given_back() -> None:
    pid = os.getpid()
    before = resident_mib(pid)
    while_held, after = _held_and_given_back(pid)

    assert while_held >= before + 90
    assert after <= while_held - 80
    assert resident_mib(pid, peak=True) >= after + 80


def test_a_reset_starts_the_peak_from_what_is_held_now() -> None:
    pid = os.getpid()
    _, after = _held_and_given_back(pid)

    reset_peak(pid)

    assert resident_mib(pid, peak=True) <= after + 10


def test_the_figure_holds_the_peak_against_the_goal() -> None:
    pid = os.getpid()
    before = resident_mib(pid)
    figure = peak_figure("reporting", "reporting", pid, "a note")

    assert figure.measure == "reporting resident at its peak"
    assert before <= figure.value <= resident_mib(pid, peak=True)
    assert figure.met == (figure.value <= MEMORY_GOAL_MIB)
    assert figure.note == "a note"
