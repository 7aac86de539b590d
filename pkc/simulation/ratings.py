"""The simulated citizens' satisfaction: after an answered contact, a share of them rate it 1-5
(as an IVR survey after the call, or the e-service's question after a written answer), a few
with a comment; the adapter that posted the contact posts the rating to intake
(`POST /contacts/{id}/rating`, services/intake/ratings.py).

The choice is pure: whether a contact is rated, and how, from a seeded random source and the
time the citizen waited before an operator answered. Satisfaction falls with the wait, as
follow-ups of contact centres find. Comments are fixed phrases without personal data.
"""

import random
from dataclasses import dataclass

# Without a wait most citizens give 4 or 5; after half an hour the mean is about 2.5.
BEST_MEAN = 4.5
MEAN_LOSS_PER_SECOND = 2.0 / 1800.0
WORST_MEAN = 1.5
SPREAD = 0.8
COMMENT_SHARE = 0.2
PRAISE = (
    "Bra bemötande.",
    "Snabb och tydlig hjälp.",
    "Jag fick veta hur jag går vidare.",
)
COMPLAINTS = (
    "Lång väntetid.",
    "Svårt att komma fram.",
    "Jag hade önskat tydligare besked.",
)


@dataclass(frozen=True)
class ChosenRating:
    rating: int  # 1-5
    comment: str  # "" for none

    def body(self) -> dict[str, object]:
        """The body of `POST /contacts/{id}/rating`."""
        return {"rating": self.rating, "comment": self.comment}


def choose_rating(rng: random.Random, waited_seconds: float, share: float) -> ChosenRating | None:
    """Whether the citizen of an answered contact rates it (with probability `share`), and
    the rating: around a mean that falls with `waited_seconds`, clamped to 1-5."""
    if rng.random() >= share:
        return None
    mean = max(WORST_MEAN, BEST_MEAN - MEAN_LOSS_PER_SECOND * max(0.0, waited_seconds))
    rating = min(5, max(1, round(rng.gauss(mean, SPREAD))))
    comment = ""
    if rng.random() < COMMENT_SHARE:
        comment = rng.choice(PRAISE if rating >= 4 else COMPLAINTS)
    return ChosenRating(rating, comment)
