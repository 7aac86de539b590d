"""An arrival forecast read from CSV (region,hour,arrivals); errors name the file and line."""

import csv
import io
import math

from domain.staffing.forecast import HOURS, Forecast
from schemas import Region

HEADER = ("region", "hour", "arrivals")


class ForecastError(ValueError):
    """A forecast that cannot be used; the message names the file and line."""


def region_named(name: str) -> Region:
    """A region by its slug or its Swedish name, any case ('vast', 'Väst')."""
    wanted = name.strip().casefold()
    for region in Region:
        if wanted in (region.value, region.display_name.casefold()):
            return region
    raise ValueError(
        f"unknown region {name.strip()!r} (one of {', '.join(r.value for r in Region)})"
    )


def parse_forecast(text: str, source: str = "forecast") -> Forecast:
    """Reads `region,hour,arrivals` lines (with that header); hours not given have no arrivals."""
    rows = csv.reader(io.StringIO(text))
    arrivals = {region: [0.0] * 24 for region in Region}
    seen: dict[tuple[Region, int], int] = {}
    header_read = False
    for line, row in enumerate(rows, start=1):
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        where = f"{source}, line {line}"
        if not header_read:
            if tuple(cell.strip().casefold() for cell in row) != HEADER:
                raise ForecastError(f"{where}: expected the header 'region,hour,arrivals'")
            header_read = True
            continue
        region, hour, count = _row(row, where)
        if (region, hour) in seen:
            first = seen[(region, hour)]
            raise ForecastError(
                f"{where}: {region.value} hour {hour} was already given on line {first}"
            )
        seen[(region, hour)] = line
        arrivals[region][hour] = count
    if not header_read:
        raise ForecastError(f"{source}: empty; expected the header 'region,hour,arrivals'")
    return Forecast.of(arrivals)


def _row(row: list[str], where: str) -> tuple[Region, int, float]:
    if len(row) != 3:
        raise ForecastError(f"{where}: expected 3 fields (region,hour,arrivals), got {len(row)}")
    try:
        return region_named(row[0]), _hour(row[1]), _arrivals(row[2])
    except ValueError as exc:
        raise ForecastError(f"{where}: {exc}") from None


def _hour(text: str) -> int:
    try:
        hour = int(text.strip())
    except ValueError:
        raise ValueError(f"hour {text.strip()!r} is not a whole number 0-23") from None
    if hour not in HOURS:
        raise ValueError(f"hour {hour} is outside 0-23")
    return hour


def _arrivals(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"arrivals {text.strip()!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"arrivals must be a finite number ≥ 0, got {text.strip()!r}")
    return value
