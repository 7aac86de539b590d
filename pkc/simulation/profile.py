"""When people contact the police: the share of a day's contacts in each local hour.

A weekday profile for 114 14 in Stockholm local time (contacts follow office hours: a morning
peak around ten, a dip at lunch, a second peak after it, a long evening tail, little at night).
Weights are relative; `hour_share` normalises them. When the lines are open is the
service-level policy's service hours (the target applies in between).
"""

from datetime import UTC, datetime, timedelta

from domain.service_level import STOCKHOLM, ServiceLevelPolicy

_WEIGHTS = (
    0.4, 0.3, 0.2, 0.2, 0.2, 0.3, 0.8, 3.0, 7.0, 9.0, 9.5, 9.0,
    7.5, 8.5, 8.5, 8.0, 7.0, 5.5, 4.5, 3.5, 2.0, 1.5, 1.0, 0.6,
)  # fmt: skip
_TOTAL = sum(_WEIGHTS)


def hour_share(hour: int) -> float:
    """The share of a day's contacts that arrive in local hour `hour` (0-23)."""
    return _WEIGHTS[hour] / _TOTAL


def peak_share() -> float:
    return max(_WEIGHTS) / _TOTAL


def local_hour(moment: datetime) -> int:
    return moment.astimezone(STOCKHOLM).hour


def seconds_until_service(moment: datetime, policy: ServiceLevelPolicy) -> float:
    """Seconds from `moment` to the policy's next opening (0 inside service hours)."""
    local = moment.astimezone(policy.timezone)
    if policy.within_hours(local):
        return 0.0
    opens = policy.opens
    opening = local.replace(hour=opens.hour, minute=opens.minute, second=0, microsecond=0)
    if local.time() >= policy.closes:
        opening += timedelta(days=1)  # zoneinfo keeps wall time: the opening also across DST
    # Across UTC: subtracting two datetimes of one zoneinfo would give wall time, not elapsed.
    return max(0.0, (opening.astimezone(UTC) - local.astimezone(UTC)).total_seconds())
