"""Finds every phrase of a rule set in a text in one pass over its tokens.

Phrases are indexed by the stem of their first word (its first PREFIX_MIN letters, or the whole
short word), so each token costs a few dictionary look-ups instead of a scan of every phrase.
Identical phrases (same words) share one id, whichever rules or cues use them.
"""

from collections.abc import Iterable

from services.triage.rules import PREFIX_MIN, Phrase

# A phrase in the index: its id, and its words as (text, matches as a prefix) (Phrase.pattern).
_Entry = tuple[int, tuple[tuple[str, bool], ...]]


class PhraseIndex:
    def __init__(self, phrases: Iterable[Phrase]):
        self._ids: dict[tuple[str, ...], int] = {}
        by_key: dict[str, list[_Entry]] = {}
        star_lengths: set[int] = set()
        for phrase in phrases:
            if phrase.words in self._ids:
                continue
            pid = self._ids[phrase.words] = len(self._ids)
            first = phrase.words[0]
            if first.endswith("*") and len(first) - 1 < PREFIX_MIN:
                key = first[:-1]
                star_lengths.add(len(key))
            else:
                key = first.rstrip("*=")[:PREFIX_MIN]
            by_key.setdefault(key, []).append((pid, phrase.pattern))
        self._by_key = {key: tuple(entries) for key, entries in by_key.items()}
        # The stems of short starred words ("kör*"), looked up beside each token's own stem.
        self._star_lengths = tuple(sorted(star_lengths))

    def id_of(self, phrase: Phrase) -> int:
        return self._ids[phrase.words]

    def find_all(self, toks: list[str]) -> dict[int, list[int]]:
        """Each phrase id found in `toks`, with the token indexes where it starts. A word matches
        a token that starts with it, or only the same token (`Phrase.pattern`). The matching
        is written out in this loop, not called per phrase: a text meets about a hundred
        candidate phrases, and a call each was a third of the rules' time."""
        found: dict[int, list[int]] = {}
        by_key, stars, count = self._by_key, self._star_lengths, len(toks)
        for i, token in enumerate(toks):
            candidates = by_key.get(token[:PREFIX_MIN], ())
            for n in stars:
                if len(token) >= n and (starred := by_key.get(token[:n])):
                    candidates = (*candidates, *starred)
            for pid, pattern in candidates:
                if i + len(pattern) > count:
                    continue
                at = i
                for word, prefix in pattern:
                    if not (toks[at].startswith(word) if prefix else toks[at] == word):
                        break
                    at += 1
                else:
                    found.setdefault(pid, []).append(i)
        return found
