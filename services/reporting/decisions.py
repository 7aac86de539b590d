"""After each event: the region's verdict, its prediction, a reinforcement request, a status."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.service_level import ServiceLevelPolicy
from schemas import (
    Region,
    ReinforcementRequested,
    SlaBreached,
    SlaBreachPredicted,
    SlaRecovered,
    SlaStatus,
    SlaWindow,
    reinforcement_request_id,
)
from schemas.envelope import Event
from services.reporting.breach import (
    Transition,
    decide,
    episode_for,
    predict,
    predicted_breach,
)
from services.reporting.capacity import Capacity, plan_reinforcement
from services.reporting.state import RegionMeta, RegionState
from services.reporting.window import at_minute
from services.shared.runtime import derived_id

__all__ = ["Capacity", "DecisionRules", "decide_step"]
TREND_POINTS = 60  # one share per step: an hour of trend at the default one-minute step


@dataclass(frozen=True)
class DecisionRules:
    """What the decisions are told: the policy and reporting's own timings."""

    policy: ServiceLevelPolicy
    prediction_horizon_seconds: float = 120.0
    step_minutes: int = 1
    reinforcement_minutes: int = 60


@dataclass(frozen=True)
class _Step:
    """One event's context: the region, its window now, and the moment decisions carry."""

    region: Region
    window: SlaWindow
    now: datetime
    cause: Event

    def about(self, event_id: uuid.UUID) -> dict[str, Any]:
        """What every event decided at this step carries."""
        return {
            "event_id": event_id,
            "occurred_at": self.now,
            "region": self.region,
            "window": self.window,
        }


def decide_step(
    region: Region,
    state: RegionState,
    cause: Event,
    others: Callable[[], list[Capacity]],
    rules: DecisionRules,
) -> tuple[list[Event], Capacity]:
    """`others` is called only when a reinforcement is planned (it reads every region)."""
    meta = state.meta
    window = state.window()
    now = at_minute(meta.latest + 1) if meta.latest else cause.occurred_at
    step = _Step(region, window, now, cause)
    summary = Capacity(
        region=region,
        arrivals_per_hour=state.arrivals_per_hour(window),
        handling_seconds=state.handling(),
        patience_seconds=meta.patience_seconds,
        operators=len(meta.operators),
        share=window.share,
        in_breach=meta.in_breach,
    )
    out = _verdict(step, meta, summary, others, rules)
    out += _prediction(step, state, rules)
    out += _status(step, meta, rules, decided=bool(out))
    return out, summary


def _verdict(
    step: _Step,
    meta: RegionMeta,
    summary: Capacity,
    others: Callable[[], list[Capacity]],
    rules: DecisionRules,
) -> list[Event]:
    """Opens or ends a breach episode; a breach also asks other regions for operators."""
    episode = uuid.UUID(meta.episode_id) if meta.episode_id else None
    opening = episode_for(step.region, meta.epoch, meta.episodes + 1)
    verdict = decide(step.region, step.window, meta.in_breach, episode, rules.policy, opening)
    if verdict.transition == Transition.BREACHED:
        meta.episodes += 1
    meta.in_breach, meta.low_volume = verdict.in_breach, verdict.low_volume
    meta.episode_id = str(verdict.episode_id) if verdict.episode_id else None
    if verdict.episode_id is None or verdict.transition is None:
        return []
    kind = SlaBreached if verdict.transition == Transition.BREACHED else SlaRecovered
    changed = kind(
        **step.about(derived_id(verdict.episode_id, kind.__name__)),
        episode_id=verdict.episode_id,
        target=rules.policy.target,
    )
    if kind is SlaRecovered:
        meta.predicted = False
        return [changed]
    lenders = [o for o in others() if o.region != step.region]
    return [changed, _request(step, verdict.episode_id, summary, lenders, rules)]


def _prediction(step: _Step, state: RegionState, rules: DecisionRules) -> list[Event]:
    """A predicted breach once per danger; the flag clears when the danger passes."""
    meta, policy = state.meta, rules.policy
    past, soon = state.waiting_past(
        policy.threshold_seconds, rules.prediction_horizon_seconds, step.now
    )
    prediction = predict(step.window, past, soon)
    if prediction is None:
        return []
    if predicted_breach(meta.in_breach, meta.predicted, prediction, policy, step.window):
        meta.predicted = True
        meta.predictions += 1
        return [
            SlaBreachPredicted(
                # Counted like episodes: a replay predicts the same danger under one id.
                **step.about(predicted_id(step.region, meta)),
                waiting_past_target=prediction.waiting_past_target,
                about_to_pass=prediction.about_to_pass,
                predicted_share=prediction.predicted_share,
                target=policy.target,
            )
        ]
    if (
        meta.predicted
        and not meta.in_breach
        and prediction.predicted_share >= policy.recovery_share
    ):
        meta.predicted = False  # the danger passed without a breach
    return []


def predicted_id(region: Region, meta: RegionMeta) -> uuid.UUID:
    return derived_id(episode_for(region, meta.epoch, meta.predictions), "SlaBreachPredicted")


def _status(step: _Step, meta: RegionMeta, rules: DecisionRules, decided: bool) -> list[Event]:
    """A status at every step of event time, and with every decision."""
    if not decided and meta.latest < meta.last_status_minute + max(1, rules.step_minutes):
        return []
    meta.last_status_minute = meta.latest
    meta.trend = [*meta.trend, step.window.share][-TREND_POINTS:]
    return [
        SlaStatus(
            **step.about(derived_id(step.cause.event_id, "SlaStatus")),
            in_breach=meta.in_breach,
            low_volume=meta.low_volume,
        )
    ]


def _request(
    step: _Step,
    episode_id: uuid.UUID,
    summary: Capacity,
    others: list[Capacity],
    rules: DecisionRules,
) -> ReinforcementRequested:
    plan = plan_reinforcement(summary, others, rules.policy)
    return ReinforcementRequested(
        **step.about(reinforcement_request_id(episode_id)),
        episode_id=episode_id,
        arrivals_per_hour=summary.arrivals_per_hour,
        handling_seconds=summary.handling_seconds,
        patience_seconds=summary.patience_seconds,
        operators_needed_erlang_c=plan.needed_erlang_c,
        operators_needed_erlang_a=plan.needed_erlang_a,
        operators_present=summary.operators,
        shortfall=plan.shortfall,
        donors=plan.donors,
        until=step.now + timedelta(minutes=rules.reinforcement_minutes),
    )
