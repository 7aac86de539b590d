"""What an alert says: region, share, window, trend, reinforcement figures and an
acknowledgement link. Built from SLA events and stored alerts only, so it holds no citizen data.
The link is each recipient's own (it names them): `Message.with_link` adds it per delivery.

The figures of the target come from the service-level policy (threshold, hours), and the target
share from the event itself when it carries one (the figure reporting judged by)."""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.service_level import ServiceLevelPolicy
from schemas import (
    Region,
    ReinforcementRequested,
    SlaBreached,
    SlaBreachPredicted,
    SlaRecovered,
)
from schemas.enums import AlertKind
from schemas.events import SlaWindow
from services.notify.policy import SlaEvent


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    payload: dict[str, Any]  # the webhook body
    acknowledges: uuid.UUID | None = None  # the alert its link acknowledges, if it has one

    def with_link(self, ack_url: str | None) -> "Message":
        """The message as one recipient gets it: with the link made for them."""
        if ack_url is None:
            return self
        text = f"{self.text}Acknowledge: {ack_url}\n"
        return replace(self, text=text, payload=self.payload | {"ack_url": ack_url})


@dataclass(frozen=True)
class StoredAlert:
    """What a message about an alert already stored can say (no event at hand)."""

    alert_id: uuid.UUID
    episode_id: uuid.UUID | None
    region: Region
    share: float | None
    since: datetime


def _pct(share: float | None) -> str:
    return f"{share:.1%}" if share is not None else "n/a"


def _target(event: SlaEvent | None, policy: ServiceLevelPolicy) -> str:
    if isinstance(event, SlaBreached | SlaRecovered | SlaBreachPredicted):
        return f"{event.target * 100:g} %"
    return policy.target_percent


def compose(
    kind: AlertKind,
    event: SlaEvent,
    alert_id: uuid.UUID,
    acknowledges: uuid.UUID | None,
    policy: ServiceLevelPolicy,
    previous_share: float | None = None,
) -> Message:
    window, minutes = event.window, policy.threshold_minutes
    lines = [_headline(kind, event.region, window.share, minutes), _window_line(window, minutes)]
    trend, trend_text = _trend(window.share, previous_share)
    payload = _payload(kind, event, alert_id, trend) | {"previous_share": previous_share}
    if trend_text:
        lines.append(f"Trend: {trend_text}.")
    if kind in ("breach", "predicted_breach"):
        lines.append(_target_line(_target(event, policy), policy))
    if isinstance(event, SlaBreachPredicted):
        lines.append(_predicted(event, payload, minutes))
    if isinstance(event, ReinforcementRequested):
        lines.append(_reinforcement(event, payload))
    return finish(lines, payload, acknowledges)


def _headline(kind: AlertKind, region: Region, share: float | None, minutes: str) -> str:
    name, within = region.display_name, f"{_pct(share)} within {minutes} minutes"
    return {
        "breach": f"{name}: {_pct(share)} answered within {minutes} minutes, below target",
        "breach_update": f"{name} worsening: {within}",
        "predicted_breach": f"{name}: breach predicted",
        "reinforcement": f"{name}: reinforcement requested",
        "recovery": f"{name} recovered: {within}",
    }[kind]


def _window_line(window: SlaWindow, minutes: str) -> str:
    return (
        f"Window {window.start:%Y-%m-%d %H:%M}-{window.end:%H:%M} UTC: "
        f"{window.answered_within} answered within {minutes} min, {window.answered_late} later, "
        f"{window.abandoned} abandoned."
    )


def _target_line(target: str, policy: ServiceLevelPolicy) -> str:
    return (
        f"Target: {target} answered within {policy.threshold_minutes} minutes, "
        f"calls offered {policy.hours} Stockholm time."
    )


def _trend(share: float | None, previous: float | None) -> tuple[str, str]:
    if previous is None or share is None:
        return "", ""
    trend = "falling" if share < previous else "rising"
    return trend, f"{trend} from {_pct(previous)}"


def _payload(kind: AlertKind, event: SlaEvent, alert_id: uuid.UUID, trend: str) -> dict[str, Any]:
    window, region = event.window, event.region
    payload: dict[str, Any] = {
        "alert_id": str(alert_id),
        "kind": kind,
        "region": region.value,
        "region_name": region.display_name,
        "share": window.share,
        "trend": trend,
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "answered_within": window.answered_within,
        "answered_late": window.answered_late,
        "abandoned": window.abandoned,
        "cause_event_id": str(event.event_id),
    }
    if isinstance(event, SlaBreached | SlaRecovered | SlaBreachPredicted):
        payload["target"] = event.target
    if isinstance(event, SlaBreached | SlaRecovered | ReinforcementRequested):
        payload["episode_id"] = str(event.episode_id)
    return payload


def _predicted(event: SlaBreachPredicted, payload: dict[str, Any], minutes: str) -> str:
    payload["predicted_share"] = event.predicted_share
    payload["waiting_past_target"] = event.waiting_past_target
    return (
        f"Predicted share {_pct(event.predicted_share)}: {event.waiting_past_target} calls "
        f"already waiting over {minutes} minutes, {event.about_to_pass} about to pass it."
    )


def _reinforcement(event: ReinforcementRequested, payload: dict[str, Any]) -> str:
    donors = [{"region": d.region.value, "operators": d.operators} for d in event.donors]
    payload |= {
        "operators_needed_erlang_c": event.operators_needed_erlang_c,
        "operators_needed_erlang_a": event.operators_needed_erlang_a,
        "operators_present": event.operators_present,
        "shortfall": event.shortfall,
        "donors": donors,
        "until": event.until.isoformat(),
    }
    named = ", ".join(f"{d.operators} from {d.region.display_name}" for d in event.donors)
    return (
        f"Needs {event.operators_needed_erlang_c} operators (Erlang C), has "
        f"{event.operators_present}: {event.shortfall} short. Donors: {named or 'none'}."
    )


def finish(lines: list[str], payload: dict[str, Any], acknowledges: uuid.UUID | None) -> Message:
    """The message of `lines` (the first is its summary and subject), whose link (added per
    recipient) acknowledges `acknowledges`, if any."""
    summary = lines[0]
    payload["summary"] = summary
    text = "\n".join(lines) + "\n"
    return Message(f"[PKC] {summary}", text, payload, acknowledges)


def escalated(alert: StoredAlert, from_level: int, policy: ServiceLevelPolicy) -> Message:
    """The breach again, to the next level up, because the one below did not acknowledge."""
    name, share = alert.region.display_name, _pct(alert.share)
    summary = f"ESCALATED: {name} below target ({share} within {policy.threshold_minutes} minutes)"
    text = (
        f"{name} has been below the {policy.target_percent} target since {alert.since:%H:%M} UTC "
        f"(now {share}) and on-call level {from_level} has not acknowledged."
    )
    payload = _stored_payload(alert, policy) | {"escalated_from": from_level}
    return finish([summary, text], payload, alert.alert_id)


def released(alert: StoredAlert, policy: ServiceLevelPolicy) -> Message:
    """A breach that began soon after a recovery and outlasted the quiet period."""
    name, minutes = alert.region.display_name, policy.threshold_minutes
    summary = f"{name}: {_pct(alert.share)} answered within {minutes} minutes, below target"
    text = (
        f"Below target again since {alert.since:%H:%M} UTC, soon after a recovery, and still "
        "below it: not a passing dip."
    )
    lines = [summary, text, _target_line(policy.target_percent, policy)]
    return finish(lines, _stored_payload(alert, policy), alert.alert_id)


def _stored_payload(alert: StoredAlert, policy: ServiceLevelPolicy) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "alert_id": str(alert.alert_id),
        "kind": "breach",
        "region": alert.region.value,
        "region_name": alert.region.display_name,
        "share": alert.share,
        "target": policy.target,
    }
    if alert.episode_id is not None:
        payload["episode_id"] = str(alert.episode_id)
    return payload
