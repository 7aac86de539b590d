"""An arrival forecast per region and local hour (reading one from CSV is the CLI's business)."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import time

from domain.service_level import ServiceLevelPolicy
from schemas import Region

HOURS = range(24)


@dataclass(frozen=True)
class Forecast:
    """Calls per hour that reach an operator, per region and local hour (0-23)."""

    arrivals: dict[Region, tuple[float, ...]]

    @classmethod
    def of(cls, arrivals: dict[Region, list[float]]) -> "Forecast":
        return cls({region: tuple(arrivals.get(region, [0.0] * 24)) for region in Region})

    def national(self) -> tuple[float, ...]:
        return tuple(sum(hours[h] for hours in self.arrivals.values()) for h in HOURS)

    def per_day(self) -> float:
        return sum(self.national())

    def shaped(self, volume: float, hours: Collection[int] = HOURS) -> "Forecast":
        """Scaled by `volume`, with no arrivals outside `hours`."""
        if not volume > 0:
            raise ValueError(f"volume must be greater than zero, got {volume!r}")

        def kept(hour: int, value: float) -> float:
            return value * volume if hour in hours else 0.0

        return Forecast(
            {
                region: tuple(kept(h, v) for h, v in enumerate(values))
                for region, values in self.arrivals.items()
            }
        )


def service_hours(policy: ServiceLevelPolicy) -> tuple[int, ...]:
    """The local hours (0-23) that overlap the policy's opening hours."""
    return tuple(
        hour
        for hour in HOURS
        if time(hour) < policy.closes and (hour == 23 or time(hour + 1) > policy.opens)
    )
