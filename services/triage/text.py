"""Normalised text: case, å/ä/ö and their ASCII spellings, punctuation folded away."""

import re
import unicodedata

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "æ": "a", "ø": "o", "é": "e", "ü": "u"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NON_WORD.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    return normalise(text).split()
