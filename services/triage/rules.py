"""The rules file: loading, validation with line numbers, and the compiled form.

A phrase is one or more words. A word matches a token that starts with it when the word has
four letters or more ("stöld" matches "stölden", "stolder"); shorter words match exactly unless
they end in "*". Phrases are written in ordinary Swedish or English; å/ä/ö fold to a/a/o.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from schemas import Channel, MatterType, NeedCategory, Route
from services.triage.text import tokens

PREFIX_MIN = 4


class RulesError(ValueError):
    """An invalid rules file; the message names the file, the line and what is wrong."""


@dataclass(frozen=True)
class Phrase:
    source: str
    words: tuple[str, ...]
    # Each word as (text, matches as a prefix), decided once here instead of per token.
    pattern: tuple[tuple[str, bool], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = tuple(
            (w[:-1], True)
            if w.endswith("*")
            else (w[:-1], False)
            if w.endswith("=")
            else (w, len(w) >= PREFIX_MIN)
            for w in self.words
        )
        object.__setattr__(self, "pattern", pattern)


@dataclass(frozen=True)
class Rule:
    id: str
    line: int
    category: NeedCategory
    matter: MatterType
    priority: int
    route: Route
    precedence: int
    phrases: tuple[Phrase, ...]
    requires_cue: tuple[str, ...] = ()
    excludes_cue: tuple[str, ...] = ()
    channels: frozenset[Channel] | None = None
    e_service: str | None = None
    # The e-service's automatic case for this matter by every channel, not only when the
    # contact came through the e-service (issue 16, item 8).
    automatic_case: bool = False


@dataclass(frozen=True)
class RuleSet:
    version: str
    cues: dict[str, tuple[Phrase, ...]]
    negations: tuple[Phrase, ...]
    rules: tuple[Rule, ...] = field(default=())


class _LineLoader(yaml.SafeLoader):
    """Records each mapping's line (1-based) under the key `__line__`."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)

_RULE_KEYS = {
    "id",
    "category",
    "matter",
    "priority",
    "route",
    "precedence",
    "phrases",
    "phrases_of_cues",
    "requires_cue",
    "excludes_cue",
    "channels",
    "e_service",
    "automatic_case",
    "__line__",
}


def load_rules(path: Path) -> RuleSet:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "unknown line"
        raise RulesError(
            f"{path}: {where}: not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from None
    except OSError as exc:
        raise RulesError(f"{path}: cannot read: {exc.strerror}") from None
    errors: list[str] = []
    ruleset = _build(data, errors)
    if errors or ruleset is None:
        raise RulesError("\n".join(f"{path}: {e}" for e in errors))
    return ruleset


def _build(data: Any, errors: list[str]) -> RuleSet | None:
    if not isinstance(data, dict):
        errors.append("line 1: the file must be a mapping with version, cues, negations, rules")
        return None
    version = str(data.get("version", "")).strip()
    if not version:
        errors.append("line 1: `version` is missing")
    cues_raw = data.get("cues") or {}
    cues = {
        name: _phrases(values, f"cue {name}", cues_raw.get("__line__", 1), errors)
        for name, values in cues_raw.items()
        if name != "__line__"
    }
    negations = _phrases(data.get("negations") or [], "negations", 1, errors)
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for raw in data.get("rules") or []:
        rule = _rule(raw, cues, seen, errors)
        if rule is not None:
            rules.append(rule)
    if not rules and not errors:
        errors.append("line 1: no rules")
    ordered = sorted(rules, key=lambda r: r.precedence)  # stable: file order breaks ties
    return RuleSet(version=version, cues=cues, negations=negations, rules=tuple(ordered))


def _rule(
    raw: Any, cues: dict[str, tuple[Phrase, ...]], seen: dict[str, int], errors: list[str]
) -> Rule | None:
    """One rule from its mapping; every fault is appended to `errors` naming the line."""
    if not isinstance(raw, dict):
        errors.append("rules: every rule must be a mapping")
        return None
    line = raw.get("__line__", 0)
    before = len(errors)

    def fail(message: str) -> None:
        errors.append(f"line {line}: rule {raw.get('id', '?')!s}: {message}")

    rule_id = _rule_id(raw, line, seen, fail)
    category = _enum(NeedCategory, raw.get("category"), "category", fail)
    matter = _enum(MatterType, raw.get("matter"), "matter", fail)
    route = _enum(Route, raw.get("route"), "route", fail)
    priority, precedence = raw.get("priority"), raw.get("precedence")
    if not isinstance(priority, int) or not 1 <= priority <= 5:
        fail("`priority` must be an integer 1..5")
    if not isinstance(precedence, int):
        fail("`precedence` must be an integer (lower wins)")
    phrases, requires, excludes = _matching(raw, f"rule {rule_id}", line, cues, errors, fail)
    channels = _channels(raw, fail)
    if category == NeedCategory.EMERGENCY and route not in (None, Route.EMERGENCY_112):
        fail("an emergency rule must route to emergency_112")
    automatic = raw.get("automatic_case", False)
    if automatic not in (True, False) or (automatic and not raw.get("e_service")):
        fail("`automatic_case` is true or false, and true needs an `e_service`")
    if len(errors) > before:
        return None
    assert category is not None
    assert matter is not None
    assert route is not None
    assert isinstance(priority, int)
    assert isinstance(precedence, int)
    return Rule(
        id=rule_id,
        line=line,
        category=category,
        matter=matter,
        priority=priority,
        route=route,
        precedence=precedence,
        phrases=phrases,
        requires_cue=requires,
        excludes_cue=excludes,
        channels=channels,
        e_service=raw.get("e_service"),
        automatic_case=automatic is True,
    )


def _rule_id(
    raw: dict[str, Any], line: int, seen: dict[str, int], fail: Callable[[str], None]
) -> str:
    """The rule's id, unique in the file; unknown keys are reported here too, first."""
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        fail(f"unknown keys {sorted(unknown)}")
    rule_id = str(raw.get("id", "")).strip()
    if not rule_id:
        fail("`id` is missing")
    elif rule_id in seen:
        fail(f"duplicate id (first on line {seen[rule_id]})")
    else:
        seen[rule_id] = line
    return rule_id


def _matching(
    raw: dict[str, Any],
    owner: str,
    line: int,
    cues: dict[str, tuple[Phrase, ...]],
    errors: list[str],
    fail: Callable[[str], None],
) -> tuple[tuple[Phrase, ...], tuple[str, ...], tuple[str, ...]]:
    """The rule's phrases (its own and its borrowed cues'), required and excluded cues."""
    phrases = _phrases(raw.get("phrases") or [], owner, line, errors)
    requires = tuple(raw.get("requires_cue") or ())
    excludes = tuple(raw.get("excludes_cue") or ())
    # A rule may match on cues' phrases themselves (a cue's list is then written once).
    borrowed = tuple(raw.get("phrases_of_cues") or ())
    for cue in requires + excludes + borrowed:
        if cue not in cues:
            fail(f"unknown cue {cue!r} (known: {sorted(cues)})")
    phrases += tuple(p for cue in borrowed for p in cues.get(cue, ()))
    if not phrases:
        fail("`phrases` (or `phrases_of_cues`) must list at least one phrase")
    return phrases, requires, excludes


def _channels(raw: dict[str, Any], fail: Callable[[str], None]) -> frozenset[Channel] | None:
    """The channels the rule is limited to; None: every channel."""
    if raw.get("channels") is None:
        return None
    return frozenset(c for c in (_enum(Channel, v, "channel", fail) for v in raw["channels"]) if c)


E = TypeVar("E", NeedCategory, MatterType, Route, Channel)


def _enum(kind: type[E], value: Any, name: str, fail: Callable[[str], None]) -> E | None:
    try:
        return kind(value)
    except ValueError:
        fail(f"unknown {name} {value!r} (one of {', '.join(m.value for m in kind)})")
        return None


def _marker(raw: str) -> str:
    """ "word*": any word it begins; "word=": that word only, not its inflected forms."""
    if raw.endswith("*"):
        return "*"
    return "=" if raw.endswith("=") else ""


def _phrases(values: Any, owner: str, line: int, errors: list[str]) -> tuple[Phrase, ...]:
    if not isinstance(values, list):
        errors.append(f"line {line}: {owner}: phrases must be a list")
        return ()
    phrases = []
    for value in values:
        if not isinstance(value, str) or not tokens(value.replace("*", "")):
            errors.append(f"line {line}: {owner}: bad pattern {value!r} (empty after normalising)")
            continue
        words = tuple(
            w + _marker(raw) for raw in value.split() for w in tokens(raw.replace("*", ""))
        )
        phrases.append(Phrase(source=value, words=words))
    return tuple(phrases)
