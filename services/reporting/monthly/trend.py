"""The last twelve months, nationally: the calls' service level beside the written channels'
and the citizens' mean rating, month by month (seed 003 section 9: usage followed for trends).
Pure; the months' cells come from the store."""

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, Field

from schemas import Channel
from services.reporting.monthly.aggregation import SL, WRITTEN
from services.reporting.monthly.breakdown import Cells, cell_sum, satisfaction
from services.reporting.monthly.figures import service_share
from services.reporting.monthly.months import shift
from services.reporting.window import MAIN

MONTHS = 12
_HANDLED = ("answered_within", "answered_late", "abandoned_within", "abandoned_late")


class TrendPoint(BaseModel):
    month: str
    share: float | None = Field(description="the calls' share answered within the threshold")
    handled: int = Field(description="calls answered or abandoned (after the short limit)")
    contacts: int = Field(description="contacts received, every channel")
    written_share: float | None = Field(description="written contacts handled within target")
    written_handled: int
    rating_mean: float | None
    ratings: int


def trend_months(month: str, months: int = MONTHS) -> list[str]:
    """The `months` months ending with `month`, oldest first."""
    return [shift(month, offset) for offset in range(1 - months, 1)]


def summed(regions: Iterable[Cells]) -> dict[tuple[str, str], int]:
    total: dict[tuple[str, str], int] = {}
    for cells in regions:
        for cell, value in cells.items():
            total[cell] = total.get(cell, 0) + value
    return total


def _handled(cells: Cells, dimensions: Sequence[str]) -> tuple[int, ...]:
    return tuple(sum(cells.get((SL + d, name), 0) for d in dimensions) for name in _HANDLED)


def point(month: str, cells: Cells) -> TrendPoint:
    calls = _handled(cells, (MAIN,))
    written = _handled(cells, [f"{WRITTEN}{c}" for c in Channel if c.is_written])
    contacts = {key: n for (metric, key), n in cells.items() if metric == "contacts"}
    rated = satisfaction(cells)
    return TrendPoint(
        month=month,
        share=_rounded(service_share(*calls)),
        handled=sum(calls),
        contacts=cell_sum(contacts),
        written_share=_rounded(service_share(*written)),
        written_handled=sum(written),
        rating_mean=rated.mean,
        ratings=rated.ratings,
    )


def trend(counts: Mapping[str, Mapping[str, Cells]], month: str) -> list[TrendPoint]:
    """National points for the twelve months ending with `month` (empty months included)."""
    return [point(m, summed(counts.get(m, {}).values())) for m in trend_months(month)]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
