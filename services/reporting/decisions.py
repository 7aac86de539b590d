"""After each event: the region's verdict, its prediction, a reinforcement request, a status."""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from schemas import (
    Region,
    ReinforcementRequested,
    SlaBreached,
    SlaBreachPredicted,
    SlaRecovered,
    SlaStatus,
    SlaWindow,
)
from schemas.envelope import Event
from services.reporting.breach import BreachPolicy, Transition, decide, predict, predicted_breach
from services.reporting.capacity import Capacity, plan_reinforcement
from services.reporting.settings import ReportingSettings
from services.reporting.state import RegionState
from services.reporting.window import ANSWER_TARGET_SECONDS, at_minute
from services.shared.runtime import derived_id

__all__ = ["Capacity", "decide_step"]
TREND_POINTS = 60  # one share per step: an hour of trend at the default one-minute step


def decide_step(
    region: Region,
    state: RegionState,
    cause: Event,
    others: Callable[[], list[Capacity]],
    settings: ReportingSettings,
) -> tuple[list[Event], Capacity]:
    """`others` is called only when a reinforcement is planned (it reads every region)."""
    policy = BreachPolicy(
        settings.sla_target, settings.sla_recovery_margin, settings.sla_min_volume
    )
    meta = state.meta
    window = state.window()
    now = at_minute(meta.latest + 1) if meta.latest else cause.occurred_at
    summary = Capacity(
        region=region,
        arrivals_per_hour=state.arrivals_per_hour(window),
        handling_seconds=state.handling(),
        patience_seconds=meta.patience_seconds,
        operators=len(meta.operators),
        share=window.share,
        in_breach=meta.in_breach,
    )
    out: list[Event] = []
    episode = uuid.UUID(meta.episode_id) if meta.episode_id else None
    verdict = decide(region, window, meta.in_breach, episode, policy)
    if verdict.transition == Transition.BREACHED and verdict.episode_id:
        out.append(
            SlaBreached(
                event_id=derived_id(verdict.episode_id, "SlaBreached"),
                occurred_at=now,
                region=region,
                episode_id=verdict.episode_id,
                window=window,
                target=policy.target,
            )
        )
        others_now = [o for o in others() if o.region != region]
        out.append(_request(region, verdict.episode_id, window, summary, others_now, settings, now))
    elif verdict.transition == Transition.RECOVERED and verdict.episode_id:
        out.append(
            SlaRecovered(
                event_id=derived_id(verdict.episode_id, "SlaRecovered"),
                occurred_at=now,
                region=region,
                episode_id=verdict.episode_id,
                window=window,
                target=policy.target,
            )
        )
        meta.predicted = False
    meta.in_breach = verdict.in_breach
    meta.episode_id = str(verdict.episode_id) if verdict.episode_id else None

    horizon = settings.prediction_horizon_seconds
    past = state.waiting_over(ANSWER_TARGET_SECONDS, now)
    soon = state.waiting_over(ANSWER_TARGET_SECONDS - horizon, now) - past
    prediction = predict(window, past, soon)
    if predicted_breach(meta.in_breach, meta.predicted, prediction, policy) and prediction:
        meta.predicted = True
        out.append(
            SlaBreachPredicted(
                event_id=derived_id(cause.event_id, "SlaBreachPredicted"),
                occurred_at=now,
                region=region,
                window=window,
                waiting_past_target=prediction.waiting_past_target,
                about_to_pass=prediction.about_to_pass,
                predicted_share=prediction.predicted_share,
                target=policy.target,
            )
        )
    elif (
        meta.predicted
        and not meta.in_breach
        and prediction
        and (prediction.predicted_share >= policy.target + policy.recovery_margin)
    ):
        meta.predicted = False  # the danger passed without a breach

    step = max(1, settings.step_minutes)
    if out or meta.latest >= meta.last_status_minute + step:
        meta.last_status_minute = meta.latest
        meta.trend = [*meta.trend, window.share][-TREND_POINTS:]
        out.append(
            SlaStatus(
                event_id=derived_id(cause.event_id, "SlaStatus"),
                occurred_at=now,
                region=region,
                window=window,
                in_breach=meta.in_breach,
            )
        )
    return out, summary


def _request(
    region: Region,
    episode_id: uuid.UUID,
    window: SlaWindow,
    summary: Capacity,
    others: list[Capacity],
    settings: ReportingSettings,
    now: datetime,
) -> ReinforcementRequested:
    plan = plan_reinforcement(summary, others, settings.sla_target)
    return ReinforcementRequested(
        event_id=derived_id(episode_id, "ReinforcementRequested"),
        occurred_at=now,
        region=region,
        episode_id=episode_id,
        window=window,
        arrivals_per_hour=summary.arrivals_per_hour,
        handling_seconds=summary.handling_seconds,
        patience_seconds=summary.patience_seconds,
        operators_needed_erlang_c=plan.needed_erlang_c,
        operators_needed_erlang_a=plan.needed_erlang_a,
        operators_present=summary.operators,
        shortfall=plan.shortfall,
        donors=plan.donors,
        until=now + timedelta(minutes=settings.reinforcement_minutes),
    )
