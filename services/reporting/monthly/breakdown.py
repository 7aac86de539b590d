"""The month broken down per channel and per need category, and the citizens' ratings: pure
functions of one region's (or the nation's) stored cells.

Channels are followed up and compared (seed 003, sections 5 and 9): each channel's service level
is counted against its own target. Calls (phone, and the other spoken channels) by the
service-level policy: offered in service hours, answered within its threshold. Written channels
(mail, e-service, social media) at any hour, handled within their own threshold (24 hours by
default). Need categories by the policy, over its counted channels (phone).
"""

from collections.abc import Mapping

from pydantic import BaseModel, Field

from schemas import Channel, NeedCategory
from services.reporting.monthly.aggregation import COMMENTED, CONTACTS, RATING, SL, WRITTEN
from services.reporting.monthly.figures import service_share

Cells = Mapping[tuple[str, str], int]  # (metric, key) -> value of one region and month
SCORES = (1, 2, 3, 4, 5)


class Level(BaseModel):
    """A channel's or a category's month: its volume and its service level."""

    contacts: int = Field(description="contacts received (classified), any hour")
    offered: int = Field(description="queued in scope: service hours, or any hour if written")
    answered: int
    answered_within: int
    abandoned: int
    share: float | None = Field(description="answered within / (answered + real abandons)")
    threshold_seconds: float = Field(description="the target this level is counted against")
    written: bool = Field(description="counted at any hour against the written target")


class Satisfaction(BaseModel):
    ratings: int
    mean: float | None = Field(description="mean rating, 1-5; None without ratings")
    commented: int = Field(description="ratings given with a comment (its text is not kept)")
    by_score: dict[str, int] = Field(description="how many gave each score, '1' to '5'")


def cell_sum(cells: Mapping[str, int], channel: str = "", category: str = "") -> int:
    """Sums "<channel>|<category>" cells matching the channel or the category given."""
    total = 0
    for key, value in cells.items():
        cell_channel, _, cell_category = key.partition("|")
        if (not channel or cell_channel == channel) and (not category or cell_category == category):
            total += value
    return total


def _of(cells: Cells, metric: str) -> dict[str, int]:
    return {key: n for (m, key), n in cells.items() if m == metric}


def _level(cells: Cells, dimension: str, contacts: int, threshold: float, written: bool) -> Level:
    def count(name: str) -> int:
        return cells.get((SL + dimension, name), 0)

    within, late = count("answered_within"), count("answered_late")
    short, abandoned_within, abandoned_late = (
        count("abandoned_short"),
        count("abandoned_within"),
        count("abandoned_late"),
    )
    share = service_share(within, late, abandoned_within, abandoned_late)
    return Level(
        contacts=contacts,
        offered=count("offered"),
        answered=within + late,
        answered_within=within,
        abandoned=short + abandoned_within + abandoned_late,
        share=None if share is None else round(share, 6),
        threshold_seconds=threshold,
        written=written,
    )


def channel_levels(
    cells: Cells, threshold_seconds: float, written_threshold_seconds: float
) -> dict[str, Level]:
    contacts = _of(cells, CONTACTS)
    levels = {}
    for channel in Channel:
        written = channel.is_written
        dimension = f"{WRITTEN}{channel}" if written else f"channel:{channel}"
        threshold = written_threshold_seconds if written else threshold_seconds
        total = cell_sum(contacts, channel=channel.value)
        levels[channel.value] = _level(cells, dimension, total, threshold, written)
    return levels


def category_levels(cells: Cells, threshold_seconds: float) -> dict[str, Level]:
    contacts = _of(cells, CONTACTS)
    return {
        category.value: _level(
            cells,
            f"category:{category}",
            cell_sum(contacts, category=category.value),
            threshold_seconds,
            False,
        )
        for category in NeedCategory
    }


def satisfaction(cells: Cells, channel: str = "") -> Satisfaction:
    """Ratings of one channel, or of every channel when `channel` is empty."""
    ratings = _of(cells, RATING)
    by_score = {
        str(score): sum(
            n
            for key, n in ratings.items()
            if key.endswith(f"|{score}") and (not channel or key.startswith(f"{channel}|"))
        )
        for score in SCORES
    }
    count = sum(by_score.values())
    total = sum(int(score) * n for score, n in by_score.items())
    commented = _of(cells, COMMENTED)
    return Satisfaction(
        ratings=count,
        mean=round(total / count, 3) if count else None,
        commented=commented.get(channel, 0) if channel else sum(commented.values()),
        by_score=by_score,
    )


def satisfaction_by_channel(cells: Cells) -> dict[str, Satisfaction]:
    return {channel.value: satisfaction(cells, channel.value) for channel in Channel}
