"""How the rules' decision and the model's opinion become one: the model may only raise urgency
(Information/Hjälp med ärende → Skyndsamt → Nöd), never lower it, and where it doubts without
deciding, the contact is flagged as a possible emergency. Pure: no I/O.

The rules stay the explainable first line; the model is there for the emergencies told in
words no rule was written for.
"""

from dataclasses import replace
from typing import Any

from schemas import MatterType, NeedCategory, Route
from services.triage.decision import MODEL, URGENCY, Decision
from services.triage.model import Opinion, Thresholds

# Below this the model's probability for the decided category says it is unsure, and so
# does a text it cannot read at all (empty, emoji, another script): an operator should look.
LOW_CONFIDENCE = 0.4
EMERGENCY_PRIORITY = 1
URGENT_PRIORITY = 2
FLAGGED_PRIORITY = 1  # a possible emergency jumps its queue


def more_urgent(a: NeedCategory, b: NeedCategory) -> bool:
    return URGENCY.index(a) < URGENCY.index(b)


def combine(rules: Decision, opinion: Opinion, thresholds: Thresholds) -> Decision:
    """The rules' decision, raised where the model is sure enough, flagged where it doubts."""
    if opinion.known_features == 0:  # nothing the model can read: the rules alone, unsure
        return replace(rules, low_confidence=True)
    changes = _raised(rules, opinion, thresholds)
    category = changes.get("category", rules.category)
    flagged = (
        category != NeedCategory.EMERGENCY
        and opinion.probability(NeedCategory.EMERGENCY) >= thresholds.possible_emergency
    )
    if flagged:
        changes["priority"] = FLAGGED_PRIORITY
        if changes.get("route", rules.route) == Route.E_SERVICE:
            changes["route"] = Route.OPERATOR  # a person reads it, not an e-service
    return replace(
        rules,
        **changes,
        possible_emergency=flagged,
        low_confidence=opinion.probability(category) < LOW_CONFIDENCE,
        probabilities=tuple((c, round(opinion.probability(c), 4)) for c in URGENCY),
        weighed_words=opinion.weighed_words(NeedCategory.EMERGENCY if flagged else category),
    )


def _raised(rules: Decision, opinion: Opinion, thresholds: Thresholds) -> dict[str, Any]:
    """What raising the rules' decision changes; nothing when the model does not raise it."""
    p_emergency = opinion.probability(NeedCategory.EMERGENCY)
    p_urgent_or_worse = p_emergency + opinion.probability(NeedCategory.URGENT)
    if p_emergency >= thresholds.emergency and more_urgent(NeedCategory.EMERGENCY, rules.category):
        return {
            "category": NeedCategory.EMERGENCY,
            "matter": MatterType.ONGOING_CRIME_OR_DANGER,
            "priority": EMERGENCY_PRIORITY,
            "route": Route.EMERGENCY_112,
            "e_service": None,
            "decided_by": MODEL,
        }
    if p_urgent_or_worse >= thresholds.urgent and more_urgent(NeedCategory.URGENT, rules.category):
        # Urgent matters are handled by an operator now, not steered elsewhere.
        return {
            "category": NeedCategory.URGENT,
            "priority": min(rules.priority, URGENT_PRIORITY),
            "route": Route.OPERATOR,
            "e_service": None,
            "decided_by": MODEL,
        }
    return {}
