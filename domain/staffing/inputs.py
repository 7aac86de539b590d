"""Checks on staffing inputs: a bad figure fails loudly instead of yielding a plausible number."""

import math

SECONDS_PER_HOUR = 3600.0


def finite(name: str, value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def non_negative(name: str, value: float) -> float:
    if finite(name, value) < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return float(value)


def positive(name: str, value: float) -> float:
    if finite(name, value) <= 0:
        raise ValueError(f"{name} must be greater than zero, got {value!r}")
    return float(value)


def share(name: str, value: float, *, allow_one: bool) -> float:
    """A fraction in (0, 1), or (0, 1] where reaching everything is meaningful."""
    finite(name, value)
    if value <= 0 or value > 1 or (value == 1 and not allow_one):
        bound = "1]" if allow_one else "1)"
        raise ValueError(f"{name} must be in (0, {bound}, got {value!r}")
    return float(value)


def operator_count(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"operators must be a whole number ≥ 0, got {value!r}")
    return value


def patience(value: float | None) -> float | None:
    return None if value is None else positive("patience_seconds", value)
