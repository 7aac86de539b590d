"""A triage decision: what the contact needs, where it goes, and why."""

from dataclasses import dataclass

from schemas import MatterType, NeedCategory, Route

# Most urgent first: a decision may move left on this list, never right.
URGENCY = (
    NeedCategory.EMERGENCY,
    NeedCategory.URGENT,
    NeedCategory.CASE_HELP,
    NeedCategory.INFORMATION,
)
RULES = "rules"
MODEL = "model"


@dataclass(frozen=True)
class Decision:
    category: NeedCategory
    matter: MatterType
    priority: int
    route: Route
    e_service: str | None
    rule_id: str
    matched: tuple[str, ...]
    decided_by: str = RULES  # RULES: `rule_id` decided; MODEL: the model raised the rules'
    possible_emergency: bool = False
    low_confidence: bool = False
    probabilities: tuple[tuple[NeedCategory, float], ...] = ()  # the model's, per category
    weighed_words: tuple[str, ...] = ()

    @property
    def e_service_capable(self) -> bool:
        return self.e_service is not None
