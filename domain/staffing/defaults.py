"""The staffing assumptions' defaults: figures about operators and callers, not the service level.

Two of them equal a service-level figure by chance and are easy to mistake for it: the occupancy
cap (0.85, like the 85 % target) and the handling time (600 s, like the 10-minute threshold).
The target and threshold themselves come from domain.service_level's policy.
A light module (no numpy): `pkc` reads these for its option defaults without loading the maths.
"""

MAX_OCCUPANCY = 0.85  # the share of their time operators may spend handling calls
HANDLING_SECONDS = 600.0  # an operator's average handling time per call
PATIENCE_SECONDS = 900.0  # a caller's mean patience before hanging up
SHIFT_HOURS = 8.0  # paid hours per shift
DAYS_PER_WEEK = 5.0  # shifts per person and week
SHRINKAGE = 0.35  # the share of paid time off the phones (leave, sickness, training, breaks)
