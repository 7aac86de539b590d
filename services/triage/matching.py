"""Finds every phrase of a rule set in a text in one pass over its tokens.

Phrases are indexed by the stem of their first word (its first PREFIX_MIN letters, or the whole
short word), so each token costs a few dictionary look-ups instead of a scan of every phrase.
Identical phrases (same words) share one id, whichever rules or cues use them.
"""

from collections.abc import Iterable

from services.triage.rules import PREFIX_MIN, Phrase


class PhraseIndex:
    def __init__(self, phrases: Iterable[Phrase]):
        self._ids: dict[tuple[str, ...], int] = {}
        self._by_key: dict[str, list[tuple[int, Phrase]]] = {}
        self._star_lengths: set[int] = set()
        for phrase in phrases:
            if phrase.words in self._ids:
                continue
            pid = self._ids[phrase.words] = len(self._ids)
            first = phrase.words[0]
            if first.endswith("*") and len(first) - 1 < PREFIX_MIN:
                key = first[:-1]
                self._star_lengths.add(len(key))
            else:
                key = first.rstrip("*=")[:PREFIX_MIN]
            self._by_key.setdefault(key, []).append((pid, phrase))

    def id_of(self, phrase: Phrase) -> int:
        return self._ids[phrase.words]

    def find_all(self, toks: list[str]) -> dict[int, list[int]]:
        """Each phrase id found in `toks`, with the token indexes where it starts."""
        found: dict[int, list[int]] = {}
        by_key, stars = self._by_key, self._star_lengths
        for i, token in enumerate(toks):
            candidates = by_key.get(token[:PREFIX_MIN], ())
            for n in stars:
                if len(token) >= n and n != PREFIX_MIN:
                    candidates = [*candidates, *by_key.get(token[:n], ())]
            for pid, phrase in candidates:
                if phrase.matches_at(toks, i):
                    found.setdefault(pid, []).append(i)
        return found
