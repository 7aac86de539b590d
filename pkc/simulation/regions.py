"""The seven police regions and their approximate populations (what traffic is shared out by).

Approximate figures in millions, rounded from Statistics Sweden's county populations (2023)
grouped by police region; Stockholm includes Gotland. Precision beyond one decimal would be
false precision: contacts follow population only roughly.
"""

from types import MappingProxyType

from schemas import Region

POPULATION_MILLIONS = MappingProxyType(
    {
        Region.STOCKHOLM: 2.5,
        Region.VAST: 2.0,
        Region.SYD: 1.5,
        Region.OST: 1.1,
        Region.BERGSLAGEN: 0.85,
        Region.MITT: 0.75,
        Region.NORD: 0.9,
    }
)


def population_shares() -> dict[Region, float]:
    total = sum(POPULATION_MILLIONS.values())
    return {region: people / total for region, people in POPULATION_MILLIONS.items()}
