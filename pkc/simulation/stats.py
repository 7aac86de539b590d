"""What a simulation run did, counted as it goes (one event loop: plain counters are safe)."""

import copy
from dataclasses import dataclass, field

from schemas import Channel, Region


@dataclass
class SimulationStats:
    posted_by_region: dict[Region, int] = field(default_factory=lambda: dict.fromkeys(Region, 0))
    posted_by_channel: dict[Channel, int] = field(default_factory=lambda: dict.fromkeys(Channel, 0))
    answered_by_region: dict[Region, int] = field(default_factory=lambda: dict.fromkeys(Region, 0))
    answered: int = 0  # contacts our operators answered
    resolved: int = 0  # … and recorded an outcome for
    abandoned: int = 0  # callers who hung up while waiting (accepted by queueing)
    dropped: int = 0  # arrivals not posted because intake was saturated or refused them
    errors: int = 0  # failed requests (5xx, refused connections, time-outs, unexpected 4xx)
    answered_posted: int = 0  # answered contacts that this run posted (not others' contacts)
    rated: int = 0  # … whose citizen's rating intake accepted
    rating_sum: int = 0  # the sum of those ratings (their mean: rating_sum / rated)
    operators_on_duty: int = 0

    @property
    def posted(self) -> int:
        return sum(self.posted_by_region.values())

    def snapshot(self) -> "SimulationStats":
        return copy.deepcopy(self)

    def summary(self) -> str:
        return (
            f"posted {self.posted}, answered {self.answered}, resolved {self.resolved}, "
            f"hung up {self.abandoned}, rated {self.rated}, dropped {self.dropped}, "
            f"errors {self.errors}, "
            f"operators on duty {self.operators_on_duty}"
        )
