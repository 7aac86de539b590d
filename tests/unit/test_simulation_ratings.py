"""The simulated citizens' ratings: a share of the handled contacts is rated, 1-5, lower after
a long wait, with comments that intake accepts and that name no one."""

import random
import re
import statistics

import pytest

from pkc.simulation import SimulationConfig
from pkc.simulation.ratings import COMPLAINTS, PRAISE, choose_rating
from services.intake.ratings import RatingSubmission

DRAWS = 4000


def test_about_the_configured_share_of_handled_contacts_is_rated() -> None:
    rng = random.Random(1)
    rated = [choose_rating(rng, 60.0, 0.3) for _ in range(DRAWS)]
    share = sum(r is not None for r in rated) / DRAWS
    assert 0.27 < share < 0.33
    assert SimulationConfig().rating_share > 0, "make run's simulation posts ratings"


def test_none_is_rated_at_share_zero_and_all_at_share_one() -> None:
    rng = random.Random(2)
    assert all(choose_rating(rng, 60.0, 0.0) is None for _ in range(500))
    assert all(choose_rating(rng, 60.0, 1.0) is not None for _ in range(500))


def test_ratings_are_one_to_five_and_fall_with_the_wait() -> None:
    def ratings(waited: float) -> list[int]:
        rng = random.Random(3)
        return [r.rating for _ in range(DRAWS) if (r := choose_rating(rng, waited, 1.0))]

    quick, slow = ratings(30.0), ratings(1800.0)
    assert set(quick) | set(slow) <= {1, 2, 3, 4, 5}
    assert statistics.mean(quick) > 4.0
    assert statistics.mean(slow) < 3.0
    assert {1, 5} <= set(slow) | set(quick)  # the whole scale is used


def test_a_share_comments_and_intake_takes_every_body() -> None:
    rng = random.Random(4)
    chosen = [r for _ in range(DRAWS) if (r := choose_rating(rng, 600.0, 1.0))]
    comments = [r.comment for r in chosen if r.comment]
    assert 0.15 < len(comments) / len(chosen) < 0.25
    assert set(comments) <= set(PRAISE) | set(COMPLAINTS)
    for rating in chosen[:200]:
        RatingSubmission.model_validate(rating.body())  # what intake's route parses
    for comment in (*PRAISE, *COMPLAINTS):
        assert not re.search(r"\d", comment), "no numbers (phone, personal identity number)"


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="rating_share"):
        SimulationConfig(rating_share=1.5)
