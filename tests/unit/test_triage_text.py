"""How triage reads a text: case, Nordic letters and their ASCII spellings, accents, other
scripts' compatibility forms and punctuation fold away, so a rule or the model sees "polisen"
however the citizen typed it."""

import pytest

from services.triage.text import normalise, tokens


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("Någon BRYTER sig in hos grannen!", "nagon bryter sig in hos grannen"),
        ("Ärendet gäller min Öl", "arendet galler min ol"),
        ("Ærø og Øresund", "aro og oresund"),  # no decomposition: folded on their own
        ("A\u030asa o\u0308ver", "asa over"),  # å and ö typed as a letter and a mark
        ("Café Müller", "cafe muller"),
        ("ｆｕｌｌ ﬁrst", "full first"),  # compatibility forms
        ("Straße — 112?!", "strae 112"),  # what has no ASCII form goes
        ("\u01e3", ""),  # æ with a macron: dropped, as before (NFC keeps it whole: not æ)
        ("", ""),
    ],
)
def test_a_text_is_read_folded(typed: str, read: str) -> None:
    assert normalise(typed) == read


def test_tokens_are_the_folded_words() -> None:
    assert tokens("  Min cykel, stulen i Umeå. ") == ["min", "cykel", "stulen", "i", "umea"]
