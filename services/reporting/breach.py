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


@dataclass(frozen=True)
class Prediction:
    waiting_past_target: int  # already past 600 s: certain misses
    about_to_pass: int  # pass 600 s within the horizon unless answered first
    predicted_share: float


def predict(window: SlaWindow, waiting_past: int, about_to_pass: int) -> Prediction | None:
    """The share if every call now waiting past (or about to pass) the target misses it.

    None when there is nothing to say (no handled calls and nobody waiting)."""
    handled = window.answered_within + window.answered_late + window.abandoned
    total = handled + waiting_past + about_to_pass
    if total == 0:
        return None
    return Prediction(waiting_past, about_to_pass, window.answered_within / total)


def predicted_breach(
    in_breach: bool, already_predicted: bool, prediction: Prediction | None, policy: BreachPolicy
) -> bool:
    """Raise a prediction once, before the share itself has fallen below target."""
    if in_breach or already_predicted or prediction is None:
        return False
    volume = prediction.waiting_past_target + prediction.about_to_pass
    return volume > 0 and prediction.predicted_share < policy.target
