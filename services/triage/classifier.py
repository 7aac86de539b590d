"""The pure decision: a contact's text and channel in, a classification with its reasons out.

The phrase rules decide first; the learned second opinion, when a model is loaded, may raise
their decision or flag it as a possible emergency (`second_opinion`)."""

from pathlib import Path

from schemas import Channel, MatterType, NeedCategory, Route
from services.triage.decision import Decision
from services.triage.matching import PhraseIndex
from services.triage.model import TriageModel
from services.triage.rules import Rule, RuleSet, load_rules
from services.triage.second_opinion import combine
from services.triage.text import tokens

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")
NEGATION_REACH = 3  # a negation cancels a phrase that starts within this many tokens after it
MAX_TOKENS = 2_000  # bounds the cost of huge texts; the key fact is nearly always early
FALLBACK_RULE = "fallback"


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
    def __init__(self, ruleset: RuleSet, model: TriageModel | None = None):
        self.ruleset = ruleset
        self.model = model
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
    def from_file(cls, path: Path = DEFAULT_RULES, model: Path | None = None) -> "Classifier":
        return cls(load_rules(path), TriageModel.from_file(model) if model else None)

    @property
    def version(self) -> str:
        return self.ruleset.version

    @property
    def model_version(self) -> str | None:
        return self.model.version if self.model else None

    def classify(self, text: str, channel: Channel) -> Decision:
        words = tokens(text)[:MAX_TOKENS]  # cut once, read by both opinions
        by_rules = self._by_rules(words, channel)
        if self.model is None:
            return by_rules
        return combine(by_rules, self.model.opinion_of(words), self.model.thresholds)

    def classify_by_rules(self, text: str, channel: Channel) -> Decision:
        return self._by_rules(tokens(text)[:MAX_TOKENS], channel)

    def _by_rules(self, words: list[str], channel: Channel) -> Decision:
        found = self._index.find_all(words)
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
    # by any other channel it is still handled where it came, flagged as e-service-capable
    # (the adapter gets the e-service's link), unless its rule says `automatic_case`: then it
    # becomes the e-service's case by every channel.
    by_e_service = channel == Channel.E_SERVICE or rule.automatic_case
    if rule.e_service and by_e_service and route != Route.EMERGENCY_112:
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
