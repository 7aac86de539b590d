"""The breach decision, with hysteresis: a pure function of the state and the window."""

import uuid
from dataclasses import dataclass
from enum import StrEnum

from schemas import Region, SlaWindow

_EPISODES = uuid.UUID("0b9a1f64-54d4-4a43-9f0e-3f2f6a3c7d10")


@dataclass(frozen=True)
class BreachPolicy:
    target: float = 0.85
    recovery_margin: float = 0.03  # recovers only above target + margin
    min_volume: int = 20  # fewer handled calls than this decide nothing


class Transition(StrEnum):
    BREACHED = "breached"
    RECOVERED = "recovered"


@dataclass(frozen=True)
class Verdict:
    in_breach: bool
    episode_id: uuid.UUID | None
    transition: Transition | None


def decide(
    region: Region,
    window: SlaWindow,
    in_breach: bool,
    episode_id: uuid.UUID | None,
    policy: BreachPolicy,
) -> Verdict:
    handled = window.answered_within + window.answered_late
    handled += window.abandoned  # the volume that decides: short abandons included is fine
    if window.share is None or handled < policy.min_volume:
        return Verdict(in_breach, episode_id, None)
    if not in_breach and window.share < policy.target:
        # Derived from region and window: a replay opens the very same episode.
        episode = uuid.uuid5(_EPISODES, f"{region}|{window.end.isoformat()}")
        return Verdict(True, episode, Transition.BREACHED)
    if in_breach and window.share >= policy.target + policy.recovery_margin:
        return Verdict(False, episode_id, Transition.RECOVERED)
    return Verdict(in_breach, episode_id, None)
