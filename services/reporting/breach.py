"""The breach decision, with hysteresis and a minimum volume: pure functions of the state, the
window and the service-level policy.

What an on-call supervisor sees, and why:
- **breach**: at least `min_volume` handled calls and the share below target opens an episode
  (one SlaBreached). It ends (one SlaRecovered) only at target + margin, so a share hovering
  around the target does not flap.
- **low volume**: fewer handled calls than `min_volume` are too few to judge. They never open
  an episode, and an open one is no longer shown as an ongoing breach: the status says "low
  volume" instead. The episode itself stays open (no alert is taken back, none is repeated when
  the volume returns and the share is still low) unless the few calls there are already clear
  the recovery share: then it recovers, as it would at full volume. Without this, a breach
  declared at full volume could never end once the evening's window held fewer calls (Syd
  showed 94 % of 16 handled and stayed "in breach").
"""

import functools
import uuid
from dataclasses import dataclass
from enum import StrEnum

from domain.service_level import ServiceLevelPolicy
from schemas import Region, SlaWindow

_EPISODES = uuid.UUID("0b9a1f64-54d4-4a43-9f0e-3f2f6a3c7d10")


class Transition(StrEnum):
    BREACHED = "breached"
    RECOVERED = "recovered"


class Standing(StrEnum):
    """How a region's window reads to a person (the dashboard, `pkc run`'s status)."""

    NO_DATA = "no_data"  # nothing handled in the window
    LOW_VOLUME = "low_volume"  # too few handled calls to judge
    BREACH = "breach"  # an episode is open and the window has the volume to show it
    OK = "ok"


@dataclass(frozen=True)
class Verdict:
    in_breach: bool  # a breach episode is open (no SlaRecovered yet)
    episode_id: uuid.UUID | None
    transition: Transition | None
    low_volume: bool = False


def handled(window: SlaWindow) -> int:
    """The volume that decides: short abandons included is fine."""
    return window.answered_within + window.answered_late + window.abandoned


# Asked on every event for the id a breach opening now would take, which changes only when an
# episode opens: remembered, as a name-based uuid costs more than the rest of the verdict.
@functools.lru_cache(maxsize=256)
def episode_for(region: Region, epoch: str, ordinal: int) -> uuid.UUID:
    """The `ordinal`-th episode of a region whose state began at `epoch` (its first event's id).

    Counted, not derived from the window a breach was seen in: a worker that replays after a
    crash from half-landed tables may see the breach a minute sooner or later, and must still
    open the very same episode (its alert is then dropped as a repeat). The epoch keeps a fresh
    state's episodes apart from an older one's; a replay of the same events into a fresh state
    opens the same episodes."""
    return uuid.uuid5(_EPISODES, f"{region}|{epoch}|{ordinal}")


def decide(
    region: Region,
    window: SlaWindow,
    in_breach: bool,
    episode_id: uuid.UUID | None,
    policy: ServiceLevelPolicy,
    next_episode: uuid.UUID,
) -> Verdict:
    """`next_episode` is the id a breach opening now takes (episode_for)."""
    low_volume = policy.is_low_volume(handled(window))
    share = window.share
    if share is None:
        return Verdict(in_breach, episode_id, None, low_volume)
    if in_breach and share >= policy.recovery_share:
        return Verdict(False, episode_id, Transition.RECOVERED, low_volume)
    if not in_breach and share < policy.target and not low_volume:
        return Verdict(True, next_episode, Transition.BREACHED)
    return Verdict(in_breach, episode_id, None, low_volume)


def standing(in_breach: bool, low_volume: bool, share: float | None) -> Standing:
    if share is None:
        return Standing.NO_DATA
    if low_volume:
        return Standing.LOW_VOLUME
    return Standing.BREACH if in_breach else Standing.OK


@dataclass(frozen=True)
class Prediction:
    waiting_past_target: int  # already past the threshold: certain misses
    about_to_pass: int  # pass the threshold within the horizon unless answered first
    predicted_share: float

    def volume(self, window: SlaWindow) -> int:
        return handled(window) + self.waiting_past_target + self.about_to_pass


def predict(window: SlaWindow, waiting_past: int, about_to_pass: int) -> Prediction | None:
    """The share if every call now waiting past (or about to pass) the target misses it.

    None when there is nothing to say (no handled calls and nobody waiting)."""
    total = handled(window) + waiting_past + about_to_pass
    if total == 0:
        return None
    return Prediction(waiting_past, about_to_pass, window.answered_within / total)


def predicted_breach(
    in_breach: bool,
    already_predicted: bool,
    prediction: Prediction | None,
    policy: ServiceLevelPolicy,
    window: SlaWindow,
) -> bool:
    """Raise a prediction once, before the share itself has fallen below target, and only with
    the volume a breach would need (a prediction of what can never be declared is noise)."""
    if in_breach or already_predicted or prediction is None:
        return False
    waiting = prediction.waiting_past_target + prediction.about_to_pass
    if waiting == 0 or policy.is_low_volume(prediction.volume(window)):
        return False
    return prediction.predicted_share < policy.target
