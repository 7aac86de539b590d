"""Normalised text: case, å/ä/ö and their ASCII spellings, punctuation folded away."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    # Æ and ø have no decomposition to fold away; the other letters we fold (å, ä, ö, é, ü)
    # lose their marks in NFKD below. Replaced only when present: str.translate with a table
    # of them took half of this function's time on every text.
    if "æ" in text or "ø" in text:
        text = text.replace("æ", "a").replace("ø", "o")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NON_WORD.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    return normalise(text).split()
