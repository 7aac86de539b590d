"""Reinforcement: how many operators a breaching region needs, and who can lend them.

Erlang C and Erlang A (patience-aware) come from domain.staffing;
this module only decides with their figures, for the service-level policy's target and
threshold. A donor lends operators only as long as its own service level, by the same model,
stays at or above the policy's recovery share (target + margin) after lending: lending must not
push it to where a breach of its own would not count as over.
"""

from dataclasses import asdict, dataclass
from typing import Any

from domain.service_level import ServiceLevelPolicy
from domain.staffing.need import operators_needed, service_level
from schemas import DonorLoan, Region


@dataclass(frozen=True)
class Capacity:
    """A region's figures as reporting sees them (kept in a global table for every worker)."""

    region: Region
    arrivals_per_hour: float
    handling_seconds: float
    patience_seconds: float | None
    operators: int
    share: float | None
    in_breach: bool

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "region": self.region.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Capacity":
        return cls(**{**data, "region": Region(data["region"])})


@dataclass(frozen=True)
class Plan:
    needed_erlang_c: int
    needed_erlang_a: int | None
    shortfall: int
    donors: tuple[DonorLoan, ...]


def plan_reinforcement(
    lagging: Capacity, others: list[Capacity], policy: ServiceLevelPolicy
) -> Plan:
    need = operators_needed(
        lagging.arrivals_per_hour,
        lagging.handling_seconds,
        lagging.patience_seconds,
        target=policy.target,
        threshold_seconds=policy.threshold_seconds,
    )
    needed = need.erlang_a if need.erlang_a is not None else need.erlang_c
    shortfall = max(0, needed - lagging.operators)
    loans: list[DonorLoan] = []
    remaining = shortfall
    spare = sorted(
        (
            (spare_operators(o, policy.recovery_share, policy.threshold_seconds), o)
            for o in others
            if o.region != lagging.region and not o.in_breach
        ),
        key=lambda pair: -pair[0],
    )
    for count, donor in spare:
        if remaining == 0:
            break
        lend = min(count, remaining)
        if lend > 0:
            loans.append(DonorLoan(region=donor.region, operators=lend))
            remaining -= lend
    return Plan(need.erlang_c, need.erlang_a, shortfall, tuple(loans))


def spare_operators(donor: Capacity, floor: float, threshold_seconds: float) -> int:
    """The most operators the donor can lend while its own service level stays ≥ floor."""
    lendable = 0
    for lend in range(1, donor.operators):
        remaining = donor.operators - lend
        level = service_level(
            remaining,
            donor.arrivals_per_hour,
            donor.handling_seconds,
            donor.patience_seconds,
            threshold_seconds=threshold_seconds,
        )
        if level < floor:
            break
        lendable = lend
    return lendable
