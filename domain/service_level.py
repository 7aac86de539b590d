"""The national service-level target as one value: what counts, how it is measured, when a
region is in breach and when it has recovered.

PKC's target is that 85 % of the calls to 114 14 offered 07:00-20:00 (Stockholm time) are
answered within 10 minutes. The counted share is

    answered within the threshold / (answered + abandoned after the short-abandon limit)

Every place that needs one of these figures (reporting's windows and breach decisions, the
monthly report, notify's alert texts, queueing's default opening hours, staffing and the
simulator) is handed this value; none of them writes the figures down again.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from schemas.enums import Channel

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class ServiceLevelPolicy:
    target: float = 0.85  # share of counted contacts answered within the threshold
    threshold_seconds: float = 600.0
    short_abandon_seconds: float = 5.0  # a hang-up this quick counts in neither part
    counted_channels: frozenset[Channel] = field(default_factory=lambda: frozenset({Channel.PHONE}))
    opens: time = time(7, 0)
    closes: time = time(20, 0)
    timezone: ZoneInfo = STOCKHOLM
    # A window with fewer handled calls than this is "low volume": too few to judge, so it
    # neither declares a breach nor holds one.
    min_volume: int = 20
    recovery_margin: float = 0.03  # a breach ends only at target + margin (hysteresis)

    def __post_init__(self) -> None:
        if not 0 < self.target <= 1:
            raise ValueError(f"target must be in (0, 1], not {self.target}")
        if self.threshold_seconds <= 0:
            raise ValueError("threshold_seconds must be positive")
        if self.short_abandon_seconds < 0 or self.short_abandon_seconds >= self.threshold_seconds:
            raise ValueError("short_abandon_seconds must be in [0, threshold_seconds)")
        if not self.counted_channels:
            raise ValueError("counted_channels must name at least one channel")
        if self.opens >= self.closes:
            raise ValueError("service hours must open before they close, within one day")
        if self.min_volume < 1:
            raise ValueError("min_volume must be at least 1")
        if self.recovery_margin < 0 or self.target + self.recovery_margin > 1:
            raise ValueError("recovery_margin must be >= 0 and target + margin at most 1")

    # --- what counts -------------------------------------------------------------------------
    def within_hours(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone).time()
        return self.opens <= local < self.closes

    def counts_channel(self, channel: Channel) -> bool:
        return channel in self.counted_channels

    def answered_in_time(self, wait_seconds: float) -> bool:
        return wait_seconds <= self.threshold_seconds

    def is_short_abandon(self, wait_seconds: float) -> bool:
        return wait_seconds <= self.short_abandon_seconds

    # --- the decision thresholds -------------------------------------------------------------
    @property
    def recovery_share(self) -> float:
        return self.target + self.recovery_margin

    def is_low_volume(self, handled: int) -> bool:
        return handled < self.min_volume

    # --- how people read it ------------------------------------------------------------------
    @property
    def target_percent(self) -> str:
        """'85 %' (Swedish typography: a space before the sign)."""
        return f"{self.target * 100:g} %"

    @property
    def threshold_minutes(self) -> str:
        return f"{self.threshold_seconds / 60:g}"

    @property
    def hours(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"

    def describe(self, language: str = "sv") -> str:
        if language == "sv":
            return (
                f"{self.target_percent} besvarade inom {self.threshold_minutes} minuter, "
                f"{self.hours}"
            )
        return (
            f"{self.target_percent} answered within {self.threshold_minutes} minutes, {self.hours}"
        )


NATIONAL = ServiceLevelPolicy()
"""PKC's national target with its defaults; services build theirs from settings."""
