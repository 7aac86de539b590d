"""Notify's alert policy: which alerts an SLA event (or a classified written contact) calls for,
and what an unacknowledged alert does when its time is up. Pure: no database, no clock, no text;
the caller passes in the region's open breach episode, its last recovery and the time, and
stores the decisions.

Alert ids derive from the episode (or the region and hour, or the contact), so a replayed event
plans an alert whose id is already stored, and storing it again is refused: nothing is sent twice.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas import (
    Classified,
    ReinforcementRequested,
    SlaBreached,
    SlaBreachPredicted,
    SlaRecovered,
    SlaStatus,
)
from schemas.enums import AlertKind, Route
from services.shared.ids import derived_id

SlaEvent = SlaBreached | SlaRecovered | SlaBreachPredicted | ReinforcementRequested | SlaStatus
SLA_EVENTS = (SlaBreached, SlaRecovered, SlaBreachPredicted, ReinforcementRequested, SlaStatus)
AlertEvent = SlaEvent | Classified
_PREDICTED = uuid.UUID("6f2d0d5e-4a8e-4c43-9a55-0b1a4c1f3a10")  # namespace of predicted alerts


@dataclass(frozen=True)
class AlertPolicy:
    escalation: timedelta  # unacknowledged this long (platform time): the next level is alerted
    worsening_step: float  # an update when the share fell this much since the last message
    quiet: timedelta  # a breach this soon after a recovery waits: it may be flapping


@dataclass(frozen=True)
class Episode:
    """A region's breach alert while its episode is open (or any alert still escalating)."""

    alert_id: uuid.UUID
    episode_id: uuid.UUID | None
    level: int  # the highest level alerted so far
    share: float | None  # the share last reported
    held: bool = False  # breached inside the quiet period: not sent (yet)


@dataclass(frozen=True)
class SendAlert:
    """A new alert to levels 1..`level` of the region's on-call chain."""

    kind: AlertKind
    alert_id: uuid.UUID
    episode_id: uuid.UUID | None
    level: int
    share: float | None
    previous_share: float | None = None
    escalate_at: datetime | None = None
    acknowledges: uuid.UUID | None = None  # the alert its link acknowledges; None: no link


@dataclass(frozen=True)
class HoldBreach:
    """A breach inside the quiet period: kept, and sent at `release_at` if still open."""

    alert_id: uuid.UUID
    episode_id: uuid.UUID
    share: float | None
    release_at: datetime


@dataclass(frozen=True)
class HoldRequest:
    """A reinforcement request for a held breach: kept with it and sent right after it when it
    is released (`plan` again, on the released episode); dropped with it if it recovers first."""

    alert_id: uuid.UUID  # the held breach's


@dataclass(frozen=True)
class ChangeEpisode:
    """The open breach alert's new share, or its end (escalation stops; a held one is dropped)."""

    alert_id: uuid.UUID
    share: float | None = None  # None: unchanged
    closed: bool = False


@dataclass(frozen=True)
class Release:
    """A held breach whose quiet period ran out while its episode stayed open: sent now."""

    alert_id: uuid.UUID
    escalate_at: datetime


@dataclass(frozen=True)
class Escalate:
    alert_id: uuid.UUID
    from_level: int
    to_level: int
    escalate_at: datetime


@dataclass(frozen=True)
class StopEscalating:
    """Nobody further up the chain: the alert stays with the last level."""

    alert_id: uuid.UUID


Decision = SendAlert | HoldBreach | HoldRequest | ChangeEpisode
DueDecision = Release | Escalate | StopEscalating


def breach_id(episode_id: uuid.UUID) -> uuid.UUID:
    return derived_id(episode_id, "breach")


def calls_for_on_call(event: Classified) -> bool:
    """A written contact (nobody on the line, the text may wait unread for hours) that triage
    decided is Nöd, or flagged as a possible emergency: the region's on-call must read it now."""
    return event.channel.is_written and (
        event.route == Route.EMERGENCY_112 or event.possible_emergency
    )


def written_emergency_id(contact_id: uuid.UUID) -> uuid.UUID:
    return derived_id(contact_id, "written_emergency")


def plan(
    event: AlertEvent,
    open_episode: Episode | None,
    last_recovery: datetime | None,
    policy: AlertPolicy,
    now: datetime,
) -> list[Decision]:
    """The alerts `event` calls for, given the region's open episode and last recovery (a
    classified contact's alert is about that contact alone: it needs neither)."""
    if isinstance(event, Classified):
        return _written_emergency(event, policy, now)
    if isinstance(event, SlaBreached):
        return _breach(event, open_episode, last_recovery, policy, now)
    if isinstance(event, SlaRecovered):
        return _recovery(event, open_episode)
    if isinstance(event, ReinforcementRequested):
        return _reinforcement(event, open_episode)
    if isinstance(event, SlaBreachPredicted):
        return _predicted(event, open_episode)
    return _worsening(event, open_episode, policy)


def _breach(
    event: SlaBreached,
    open_episode: Episode | None,
    last_recovery: datetime | None,
    policy: AlertPolicy,
    now: datetime,
) -> list[Decision]:
    if open_episode is not None and open_episode.episode_id == event.episode_id:
        return []  # alerted (or held) already
    alert_id, share = breach_id(event.episode_id), event.window.share
    if last_recovery is not None and now < last_recovery + policy.quiet:
        # Perhaps the last episode flapping: wait out the quiet period instead of dropping it,
        # so a breach that lasts is still alerted.
        return [HoldBreach(alert_id, event.episode_id, share, last_recovery + policy.quiet)]
    return [
        SendAlert(
            "breach",
            alert_id,
            event.episode_id,
            level=1,
            share=share,
            escalate_at=now + policy.escalation,
            acknowledges=alert_id,
        )
    ]


def _written_emergency(event: Classified, policy: AlertPolicy, now: datetime) -> list[Decision]:
    if not calls_for_on_call(event):
        return []
    alert_id = written_emergency_id(event.contact_id)
    # Escalates like a breach: a text in doubt that nobody acknowledged goes up the chain.
    return [
        SendAlert(
            "written_emergency",
            alert_id,
            None,
            level=1,
            share=None,
            escalate_at=now + policy.escalation,
            acknowledges=alert_id,
        )
    ]


def _recovery(event: SlaRecovered, open_episode: Episode | None) -> list[Decision]:
    if open_episode is None or open_episode.episode_id != event.episode_id:
        return []  # never alerted, or over already
    closed = ChangeEpisode(open_episode.alert_id, closed=True)
    if open_episode.held:
        return [closed]  # a flap nobody was told of: nothing to call off
    recovery = SendAlert(
        "recovery",
        derived_id(event.episode_id, "recovery"),
        event.episode_id,
        level=open_episode.level,
        share=event.window.share,
        previous_share=open_episode.share,
    )
    return [closed, recovery]


def _reinforcement(event: ReinforcementRequested, open_episode: Episode | None) -> list[Decision]:
    if open_episode is None or open_episode.episode_id != event.episode_id:
        return []
    if open_episode.held:
        # Reporting asks once per episode, with the breach: dropping it here would lose it.
        return [HoldRequest(open_episode.alert_id)]
    alert_id = derived_id(event.episode_id, "reinforcement")
    return [
        SendAlert(
            "reinforcement",
            alert_id,
            event.episode_id,
            level=open_episode.level,
            share=event.window.share,
            previous_share=open_episode.share,
            acknowledges=alert_id,
        )
    ]


def _predicted(event: SlaBreachPredicted, open_episode: Episode | None) -> list[Decision]:
    if open_episode is not None:
        return []  # the breach is here already
    hour = event.window.end.replace(minute=0, second=0, microsecond=0)
    alert_id = uuid.uuid5(_PREDICTED, f"{event.region.value}|{hour.isoformat()}")  # once an hour
    return [
        SendAlert("predicted_breach", alert_id, None, 1, event.window.share, acknowledges=alert_id)
    ]


def _worsening(
    event: SlaStatus, open_episode: Episode | None, policy: AlertPolicy
) -> list[Decision]:
    share = event.window.share
    if open_episode is None or open_episode.share is None or share is None:
        return []
    if event.low_volume:
        return []  # a handful of calls says nothing about how the region is doing
    if open_episode.share - share < policy.worsening_step - 1e-9:
        return []
    track = ChangeEpisode(open_episode.alert_id, share=share)
    if open_episode.held:
        return [track]  # its message, when released, gives the latest share
    steps = round((1.0 - share) / policy.worsening_step)
    update = SendAlert(
        "breach_update",
        derived_id(open_episode.alert_id, f"update-{steps}"),
        open_episode.episode_id,
        level=open_episode.level,
        share=share,
        previous_share=open_episode.share,
        acknowledges=open_episode.alert_id,
    )
    return [track, update]


def when_due(alert: Episode, levels: list[int], now: datetime, policy: AlertPolicy) -> DueDecision:
    """An unacknowledged alert whose time is up: a held breach is sent, any other goes one
    level up the region's chain (`levels`), or stays where it is at the top."""
    if alert.held:
        return Release(alert.alert_id, now + policy.escalation)
    higher = [level for level in levels if level > alert.level]
    if not higher:
        return StopEscalating(alert.alert_id)
    return Escalate(alert.alert_id, alert.level, higher[0], now + policy.escalation)
