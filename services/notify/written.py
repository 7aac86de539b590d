"""What a written-emergency alert says: a mail, e-service or social-media contact that triage
decided is Nöd, or flagged as a possible emergency, waits unread, and the region's on-call must
read it now. The message leaves the platform by e-mail, so it names the contact by its id only:
never the citizen's text, nor the words the model weighed (they may be the citizen's own).

Its facts are stored with the alert, so an escalation says the same to the next level."""

import uuid
from datetime import UTC, datetime
from typing import Any

from schemas import Classified
from schemas.enums import Channel, NeedCategory, Route
from services.notify.messages import Message, finish

_CHANNELS = {
    Channel.MAIL: "mail",
    Channel.E_SERVICE: "the e-service",
    Channel.SOCIAL_MEDIA: "social media",
}
EMERGENCY, POSSIBLE = "emergency", "possible_emergency"


def written_facts(event: Classified) -> dict[str, Any]:
    """What the alert (and any escalation of it) tells, as JSON-safe values."""
    return {
        "region": event.region.value,
        "region_name": event.region.display_name,
        "channel": event.channel.value,
        "contact_id": str(event.contact_id),
        "received_at": event.received_at.astimezone(UTC).isoformat(),
        "decision": EMERGENCY if event.route == Route.EMERGENCY_112 else POSSIBLE,
        "category": event.category.value,
        "p_emergency": event.probabilities.get(NeedCategory.EMERGENCY),
        "decided_by": event.decided_by,
        "rules_version": event.rules_version,
        "model_version": event.model_version,
    }


def written_emergency(
    facts: dict[str, Any],
    alert_id: uuid.UUID,
    escalated_from: int | None = None,
) -> Message:
    """The alert to level 1 or, with `escalated_from`, to the next level up; its link (added
    per recipient) acknowledges it."""
    channel = _CHANNELS.get(Channel(facts["channel"]), facts["channel"])
    decided = "Nöd" if facts["decision"] == EMERGENCY else "possible emergency"
    summary = f"{facts['region_name']}: {decided} by {channel}, unread: read it now"
    received = datetime.fromisoformat(facts["received_at"])
    lines = [
        f"ESCALATED: {summary}" if escalated_from else summary,
        f"Contact {facts['contact_id']} came in by {channel} at "
        f"{received:%Y-%m-%d %H:%M} UTC; a written contact may otherwise wait unread for hours.",
        _decision_line(facts),
        "What to do: read it now and act on it; if someone is in danger, hand it to 112. "
        "Acknowledge when it is in hand: until then the next on-call level is alerted.",
    ]
    payload = {"alert_id": str(alert_id), "kind": "written_emergency"} | facts
    if escalated_from:
        lines.insert(1, f"On-call level {escalated_from} has not acknowledged it.")
        payload["escalated_from"] = escalated_from
    return finish(lines, payload, alert_id)


def _decision_line(facts: dict[str, Any]) -> str:
    p_emergency = facts["p_emergency"]
    chance = f"P(Nöd) {p_emergency:.0%}" if p_emergency is not None else "P(Nöd) n/a (rules only)"
    if facts["decision"] == EMERGENCY:
        decided = f"Triage decided Nöd ({chance})"
    else:
        category = NeedCategory(facts["category"]).display_name
        decided = f"Triage decided {category} but flags a possible emergency ({chance})"
    model = facts["model_version"] or "none"
    return (
        f"{decided}, decided by the {facts['decided_by']}; "
        f"rules {facts['rules_version']}, model {model}."
    )
