"""What an alert says: region, share, window, trend, reinforcement figures and an
acknowledgement link. Built from SLA events only, so it can hold no citizen data."""

import uuid
from dataclasses import dataclass
from typing import Any

from schemas import (
    ReinforcementRequested,
    SlaBreached,
    SlaBreachPredicted,
    SlaRecovered,
    SlaStatus,
)
from schemas.envelope import Event

AlertEvent = SlaBreached | SlaRecovered | SlaBreachPredicted | ReinforcementRequested | SlaStatus


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    payload: dict[str, Any]  # the webhook body


def _pct(share: float | None) -> str:
    return f"{share:.1%}" if share is not None else "n/a"


def compose(
    kind: str,
    event: Event,
    alert_id: uuid.UUID,
    ack_url: str | None,
    previous_share: float | None = None,
) -> Message:
    assert isinstance(event, AlertEvent)
    region = event.region
    window = event.window
    share = window.share
    if previous_share is not None and share is not None:
        trend = "falling" if share < previous_share else "rising"
        trend_text = f"{trend} from {_pct(previous_share)}"
    else:
        trend, trend_text = "", ""
    headline = {
        "breach": f"{region.display_name}: {_pct(share)} answered within 10 minutes, below target",
        "breach_update": f"{region.display_name} worsening: {_pct(share)} within 10 minutes",
        "predicted_breach": f"{region.display_name}: breach predicted",
        "reinforcement": f"{region.display_name}: reinforcement requested",
        "recovery": f"{region.display_name} recovered: {_pct(share)} within 10 minutes",
    }[kind]
    lines = [
        headline,
        f"Window {window.start:%Y-%m-%d %H:%M}-{window.end:%H:%M} UTC: "
        f"{window.answered_within} answered within 10 min, {window.answered_late} later, "
        f"{window.abandoned} abandoned.",
    ]
    if trend_text:
        lines.append(f"Trend: {trend_text}.")
    payload: dict[str, Any] = {
        "alert_id": str(alert_id),
        "kind": kind,
        "region": region.value,
        "region_name": region.display_name,
        "share": share,
        "previous_share": previous_share,
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
    if isinstance(event, SlaBreachPredicted):
        payload["predicted_share"] = event.predicted_share
        payload["waiting_past_target"] = event.waiting_past_target
        lines.append(
            f"Predicted share {_pct(event.predicted_share)}: {event.waiting_past_target} calls "
            f"already waiting over 10 minutes, {event.about_to_pass} about to pass it."
        )
    if isinstance(event, ReinforcementRequested):
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
        lines.append(
            f"Needs {event.operators_needed_erlang_c} operators (Erlang C), has "
            f"{event.operators_present}: {event.shortfall} short. Donors: {named or 'none'}."
        )
    summary = lines[0]
    payload["summary"] = summary
    if ack_url:
        payload["ack_url"] = ack_url
        lines.append(f"Acknowledge: {ack_url}")
    return Message(subject=f"[PKC] {summary}", text="\n".join(lines) + "\n", payload=payload)
