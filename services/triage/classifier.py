"""The pure decision: a contact's text and channel in, a classification with its reasons out."""

from dataclasses import dataclass
from pathlib import Path

from schemas import Channel, MatterType, NeedCategory, Route
from services.triage.rules import Phrase, Rule, RuleSet, load_rules
from services.triage.text import tokens

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")
NEGATION_REACH = 3  # a negation word cancels a phrase starting this many tokens after it
MAX_TOKENS = 2_000  # very long texts: the key fact is nearly always early; bounds the cost


@dataclass(frozen=True)
class Decision:
    category: NeedCategory
    matter: MatterType
    priority: int
    route: Route
    e_service: str | None
    rule_id: str
    matched: tuple[str, ...]

    @property
    def e_service_capable(self) -> bool:
        return self.e_service is not None


FALLBACK_RULE = "fallback"


class Classifier:
    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset

    @classmethod
    def from_file(cls, path: Path = DEFAULT_RULES) -> "Classifier":
        return cls(load_rules(path))

    @property
    def version(self) -> str:
        return self.ruleset.version

    def classify(self, text: str, channel: Channel) -> Decision:
        toks = tokens(text)[:MAX_TOKENS]
        cues = {name for name, phrases in self.ruleset.cues.items() if _any_found(phrases, toks)}
        for rule in self.ruleset.rules:  # ordered by precedence: the first that matches decides
            if rule.channels is not None and channel not in rule.channels:
                continue
            if rule.requires_cue and not any(c in cues for c in rule.requires_cue):
                continue
            if any(c in cues for c in rule.excludes_cue):
                continue
            matched = self._matched(rule, toks)
            if matched:
                return _decide(rule, channel, matched)
        return Decision(
            category=NeedCategory.INFORMATION,
            matter=MatterType.OTHER,
            priority=4,
            route=Route.OPERATOR,
            e_service=None,
            rule_id=FALLBACK_RULE,
            matched=(),
        )

    def _matched(self, rule: Rule, toks: list[str]) -> tuple[str, ...]:
        found = []
        for phrase in rule.phrases:
            start = phrase.find(toks)
            if start >= 0 and not self._negated(toks, start):
                found.append(phrase.source)
        return tuple(found)

    def _negated(self, toks: list[str], start: int) -> bool:
        window = toks[max(0, start - NEGATION_REACH) : start]
        return _any_found(self.ruleset.negations, window)


def _any_found(phrases: tuple[Phrase, ...], toks: list[str]) -> bool:
    return any(p.find(toks) >= 0 for p in phrases)


def _decide(rule: Rule, channel: Channel, matched: tuple[str, ...]) -> Decision:
    route = rule.route
    # An e-service matter that came in through the e-service becomes a case with no operator;
    # by any other channel it is still handled where it came, flagged as e-service-capable.
    if rule.e_service and channel == Channel.E_SERVICE and route != Route.EMERGENCY_112:
        route = Route.E_SERVICE
    return Decision(
        category=rule.category,
        matter=rule.matter,
        priority=rule.priority,
        route=route,
        e_service=rule.e_service,
        rule_id=rule.id,
        matched=matched,
    )
