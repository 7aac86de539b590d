"""What a simulation run is told: volume, staffing, behaviour, where the services are."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

from domain.service_level import NATIONAL, STOCKHOLM, ServiceLevelPolicy
from domain.staffing.need import service_level
from pkc.simulation.traffic import TrafficModel
from schemas import Region
from services.shared.clock import Clock, make_clock

# Share of 114 14 calls answered within 10 minutes in May 2024 (docs/domain.md): the
# default staffing gives each region about this share in its peak hour.
MAY_2024_SHARE = MappingProxyType(
    {
        Region.BERGSLAGEN: 0.854,
        Region.MITT: 0.782,
        Region.NORD: 0.708,
        Region.STOCKHOLM: 0.636,
        Region.SYD: 0.849,
        Region.VAST: 0.646,
        Region.OST: 0.953,
    }
)


@dataclass(frozen=True)
class ServiceUrls:
    intake: str = "http://127.0.0.1:8001"
    queueing: str = "http://127.0.0.1:8003"


@dataclass(frozen=True)
class SimulationConfig:
    # 1.0 is PKC at full size (24 000 contacts a weekday); 0.1 is about 4 contacts per real
    # second at the peak at speed 60, what one 2-core machine runs comfortably with everything.
    volume: float = 0.1
    # Operators on duty per region in service hours; None: calibrated to May 2024 (see above).
    staffing: Mapping[Region, int] | None = None
    seed: int = 11414
    patience_seconds: float = 900.0  # mean time a 114 14 caller waits before hanging up
    handling_seconds: float = 600.0  # mean handling time: crime reports by phone take long
    pause_probability: float = 0.04  # after a contact, the chance an operator takes a break
    pause_seconds: float = 600.0  # a break's mean length
    rating_share: float = 0.3  # share of handled contacts whose citizen rates them (1-5)
    idle_poll_seconds: float = 20.0  # an idle operator asks for the next contact this often
    min_poll_real_seconds: float = 0.5  # … but never more often than this in real time
    max_in_flight: int = 64  # contacts being posted at once; beyond, arrivals are dropped
    progress_real_seconds: float = 2.0  # how often `progress` is called
    source: str = "pkc-simulator"
    operator_prefix: str = "sim"
    # When the lines are open, the threshold the calibration aims at: the platform's policy
    # (`pkc run` passes the one its services build from PKC_SLA_*).
    service_level: ServiceLevelPolicy = NATIONAL

    def __post_init__(self) -> None:
        for name in ("volume", "patience_seconds", "handling_seconds", "pause_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be greater than zero")
        if not 0.0 <= self.rating_share <= 1.0:
            raise ValueError("rating_share must be between 0 and 1")
        if self.staffing is not None and any(n < 0 for n in self.staffing.values()):
            raise ValueError("staffing must not be negative")

    def operator_people(self) -> list[tuple[str, Region]]:
        """Each simulated operator's user name (`sim-stockholm-1`) and home region."""
        return [
            (f"{self.operator_prefix}-{region.value}-{i + 1}", region)
            for region, count in self.operators().items()
            for i in range(count)
        ]

    def traffic(self) -> TrafficModel:
        return TrafficModel(volume=self.volume)

    def operators(self) -> dict[Region, int]:
        if self.staffing is not None:
            return {region: self.staffing.get(region, 0) for region in Region}
        return calibrated_staffing(
            self.traffic(), self.handling_seconds, self.patience_seconds, self.service_level
        )


def calibrated_staffing(
    model: TrafficModel,
    handling_seconds: float,
    patience_seconds: float,
    policy: ServiceLevelPolicy = NATIONAL,
) -> dict[Region, int]:
    """Per region, the operator count whose Erlang A service level in the region's peak hour is
    closest to its May 2024 share: Stockholm, Väst and Nord understaffed, Öst comfortable."""
    staffing = {}
    for region, hours in model.operator_load().items():
        peak = max(hours)

        def gap(n: int, peak: float = peak, region: Region = region) -> float:
            level = service_level(
                n,
                peak,
                handling_seconds,
                patience_seconds,
                threshold_seconds=policy.threshold_seconds,
            )
            return abs(level - MAY_2024_SHARE[region])

        staffing[region] = min(range(1, 4 * int(peak * handling_seconds / 3600) + 5), key=gap)
    return staffing


def default_clock_start(day: date | None = None) -> datetime:
    """08:00 Stockholm time (today by default): inside the service hours, before the peak."""
    day = day or datetime.now(STOCKHOLM).date()
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=STOCKHOLM)


def clock_from_env(env: Mapping[str, str]) -> Clock:
    """The clock the services build from the same PKC_CLOCK_* variables (pkc run's env)."""
    start, anchor = env.get("PKC_CLOCK_START"), env.get("PKC_CLOCK_ANCHOR")
    # As ServiceSettings.clock_origin does: no start means each process starts its own clock.
    origin = (datetime.fromisoformat(start), float(anchor or 0.0)) if start else None
    return make_clock(origin, float(env.get("PKC_CLOCK_SPEED", "1.0")))
