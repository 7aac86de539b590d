"""Staffing maths for PKC: operators needed for a service level, by Erlang C and Erlang A.

Pure functions (no I/O), used by reporting for reinforcement requests and by `pkc staffing`.
"""

from services.shared.staffing.erlang_a import SHORT_ABANDON_SECONDS, ErlangAResult, performance
from services.shared.staffing.need import StaffingNeed, operators_needed, service_level

__all__ = [
    "SHORT_ABANDON_SECONDS",
    "ErlangAResult",
    "StaffingNeed",
    "operators_needed",
    "performance",
    "service_level",
]
