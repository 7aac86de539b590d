"""National contact traffic: how many contacts arrive when, from where, by which channel, and
about what.

At volume 1.0 the model is PKC at full size: NATIONAL_CONTACTS_PER_DAY contacts on a weekday
("tiotusentals kontakter dagligen", seed 002), shared out by population, by the hourly profile,
by the channel mix and by each channel's matter mix. The simulator runs it scaled down
(`volume`); `pkc staffing` uses the full-size forecast of 114 14 calls that reach an operator.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from pkc.simulation.mix import CHANNEL_SHARES, MATTER_MIX, operator_share
from pkc.simulation.profile import hour_share, local_hour, peak_share
from pkc.simulation.regions import population_shares
from pkc.simulation.texts import compose, intended_category
from schemas import Channel, MatterType, NeedCategory, Region

T = TypeVar("T")

NATIONAL_CONTACTS_PER_DAY = 24_000.0  # all channels that reach intake, a weekday, volume 1.0


@dataclass(frozen=True)
class Contact:
    """One generated contact, with what it is meant to be (for checking triage)."""

    region: Region
    channel: Channel
    matter: MatterType
    category: NeedCategory
    text: str


@dataclass(frozen=True)
class TrafficModel:
    volume: float = 1.0
    contacts_per_day: float = NATIONAL_CONTACTS_PER_DAY
    regions: Mapping[Region, float] = field(default_factory=population_shares)

    def __post_init__(self) -> None:
        if not self.volume > 0:
            raise ValueError(f"volume must be greater than zero, got {self.volume!r}")

    def per_hour(
        self, hour: int, region: Region | None = None, channel: Channel | None = None
    ) -> float:
        """Contacts arriving in local hour `hour` (of a region and channel, or all)."""
        rate = self.contacts_per_day * self.volume * hour_share(hour)
        if region is not None:
            rate *= self.regions[region]
        if channel is not None:
            rate *= CHANNEL_SHARES[channel]
        return rate

    def per_hour_at(self, moment: datetime) -> float:
        return self.per_hour(local_hour(moment))

    def peak_per_hour(self) -> float:
        return self.contacts_per_day * self.volume * peak_share()

    def draw(self, rng: random.Random) -> Contact:
        """The next contact's region, channel, matter and text (arrival times are the caller's)."""
        region = _pick(rng, self.regions)
        channel = _pick(rng, CHANNEL_SHARES)
        matter = _pick(rng, MATTER_MIX[channel])
        return Contact(region, channel, matter, intended_category(matter), compose(matter, rng))

    def operator_forecast(self, channel: Channel = Channel.PHONE) -> dict[Region, list[float]]:
        """Per region, the contacts per local hour (0-23) that reach an operator queue."""
        share = operator_share(channel)
        return {
            region: [self.per_hour(h, region, channel) * share for h in range(24)]
            for region in self.regions
        }

    def operator_load(self) -> dict[Region, list[float]]:
        """Per region and local hour, every channel's contacts that reach an operator queue."""
        return {
            region: [
                sum(self.per_hour(h, region, c) * operator_share(c) for c in CHANNEL_SHARES)
                for h in range(24)
            ]
            for region in self.regions
        }


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Arrivals:
    """A Poisson process whose rate follows the hour of day, drawn by thinning: candidates come
    at the peak rate and each is kept with probability rate(now) / peak (exact, no binning)."""

    def __init__(self, model: TrafficModel, rng: random.Random):
        self.model, self.rng = model, rng
        self.peak = model.peak_per_hour() / 3600.0  # per simulated second

    def gap(self) -> float:
        """Simulated seconds to the next candidate."""
        return self.rng.expovariate(self.peak)

    def kept(self, moment: datetime) -> bool:
        return self.rng.random() * self.peak < self.model.per_hour_at(moment) / 3600.0
