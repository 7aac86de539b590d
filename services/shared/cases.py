"""Case numbers: one format for cases opened by operators and by e-services."""

import uuid


def case_number(case_id: uuid.UUID, year: int) -> str:
    """K + seven digits + two-digit year, like the Police's K-numbers (derived, so stable)."""
    return f"K{case_id.int % 10**7:07d}-{year % 100:02d}"
