"""The bench's memory figures read the kernel's high-water mark: a peak the process has since
given back still counts against the goal."""

import os

from bench.memory import MEMORY_GOAL_MIB, peak_figure, resident_mib

MIB = 1024 * 1024


def test_the_peak_outlasts_memory_given_back() -> None:
    pid = os.getpid()
    before = resident_mib(pid)
    held = bytearray(96 * MIB)
    held[::4096] = b"\x01" * len(range(0, len(held), 4096))  # every page touched, so resident
    while_held = resident_mib(pid)
    del held  # an allocation this large is its own mapping, unmapped when freed
    after = resident_mib(pid)

    assert while_held >= before + 90
    assert after <= while_held - 80
    assert resident_mib(pid, peak=True) >= after + 80  # the kernel's mark lags by a page or so


def test_the_figure_holds_the_peak_against_the_goal() -> None:
    figure = peak_figure("reporting", "reporting", os.getpid(), "a note")

    assert figure.measure == "reporting resident at its peak"
    assert figure.value == resident_mib(os.getpid(), peak=True)
    assert figure.met == (figure.value <= MEMORY_GOAL_MIB)
    assert figure.note == "a note"
