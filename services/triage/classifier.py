"""The pure decision: a contact's text and channel in, a classification with its reasons out."""

from dataclasses import dataclass
from pathlib import Path

from schemas import Channel, MatterType, NeedCategory, Route
from services.triage.matching import PhraseIndex
from services.triage.rules import Rule, RuleSet, load_rules
from services.triage.text import tokens

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")
NEGATION_REACH = 3  # a negation cancels a phrase that starts within this many tokens after it
MAX_TOKENS = 2_000  # bounds the cost of huge texts; the key fact is nearly always early
FALLBACK_RULE = "fallback"


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


FALLBACK = Decision(
    category=NeedCategory.INFORMATION,
    matter=MatterType.OTHER,
    priority=4,
    route=Route.OPERATOR,
    e_service=None,
    rule_id=FALLBACK_RULE,
    matched=(),
)


class Classifier:
    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        every = [p for r in ruleset.rules for p in r.phrases]
        every += [p for cue in ruleset.cues.values() for p in cue]
        index = PhraseIndex([*every, *ruleset.negations])
        self._index = index
        self._negations = {index.id_of(p) for p in ruleset.negations}
        self._cues_of: dict[int, set[str]] = {}
        for name, phrases in ruleset.cues.items():
            for phrase in phrases:
                self._cues_of.setdefault(index.id_of(phrase), set()).add(name)
        self._rules_of: dict[int, list[tuple[int, str]]] = {}
        for position, rule in enumerate(ruleset.rules):
            for phrase in rule.phrases:
                self._rules_of.setdefault(index.id_of(phrase), []).append((position, phrase.source))

    @classmethod
    def from_file(cls, path: Path = DEFAULT_RULES) -> "Classifier":
        return cls(load_rules(path))

    @property
    def version(self) -> str:
        return self.ruleset.version

    def classify(self, text: str, channel: Channel) -> Decision:
        found = self._index.find_all(tokens(text)[:MAX_TOKENS])
        negations = [i for pid in self._negations for i in found.get(pid, ())]
        cues: set[str] = set()
        hits: dict[int, list[str]] = {}
        for pid, starts in found.items():
            cues.update(self._cues_of.get(pid, ()))
            rules = self._rules_of.get(pid)
            if rules and not all(_negated(start, negations) for start in starts):
                for position, source in rules:
                    hits.setdefault(position, []).append(source)
        for position in sorted(hits):  # rules are ordered by precedence: the first that fits
            rule = self.ruleset.rules[position]
            if rule.channels is not None and channel not in rule.channels:
                continue
            if rule.requires_cue and not cues.intersection(rule.requires_cue):
                continue
            if cues.intersection(rule.excludes_cue):
                continue
            return _decide(rule, channel, tuple(hits[position]))
        return FALLBACK


def _negated(start: int, negation_starts: list[int]) -> bool:
    return any(start - NEGATION_REACH <= n < start for n in negation_starts)


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
