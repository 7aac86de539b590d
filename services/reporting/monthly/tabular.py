"""The report as flat rows (one per region, then the nation) and as CSV."""

import csv
import io

from schemas import Channel, NeedCategory
from services.reporting.monthly.report import Comparison, Figures, MonthlyReport

SCALARS = (
    "share",
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_short",
    "mean_wait_seconds",
    "p90_wait_seconds",
    "contacts",
    "phone_contacts",
    "e_service_capable",
    "e_service_potential",
    "routed_to_e_service",
    "redirected_112",
    "outside_hours",
    "reinforcement_hours_given",
    "reinforcement_hours_received",
)
Cell = str | int | float | None
# Per channel (its own target) and per need category; ratings per channel.
LEVEL = ("share", "answered", "answered_within")
RATED = ("rating_mean", "ratings")


def columns() -> list[str]:
    return [
        "month",
        "region",
        "name",
        *SCALARS,
        *(f"contacts_{c.value}" for c in Channel),
        *(f"contacts_{c.value}" for c in NeedCategory),
        *(f"{name}_{c.value}" for c in Channel for name in LEVEL),
        *(f"{name}_{c.value}" for c in NeedCategory for name in LEVEL),
        "rating_mean",
        "ratings",
        *(f"{name}_{c.value}" for c in Channel for name in RATED),
        "compared_with",
        "share_change_points",
        *(f"year_before_{name}" for name in SCALARS),
    ]


def rows(report: MonthlyReport) -> list[dict[str, Cell]]:
    return [_row(report, c) for c in (*report.regions, report.national)]


def _row(report: MonthlyReport, comparison: Comparison) -> dict[str, Cell]:
    now, then = comparison.this_month, comparison.year_before
    row: dict[str, Cell] = {
        "month": report.month,
        "region": comparison.region,
        "name": comparison.name,
    }
    row.update(_scalars(now, ""))
    row.update({f"contacts_{k}": v for k, v in now.by_channel.items()})
    row.update({f"contacts_{k}": v for k, v in now.by_category.items()})
    for key, level in (*now.channels.items(), *now.categories.items()):
        row.update({f"{name}_{key}": getattr(level, name) for name in LEVEL})
    row["rating_mean"], row["ratings"] = now.satisfaction.mean, now.satisfaction.ratings
    for key, rated in now.satisfaction_by_channel.items():
        row.update({f"rating_mean_{key}": rated.mean, f"ratings_{key}": rated.ratings})
    row["compared_with"] = report.compared_with
    row["share_change_points"] = comparison.share_change_points
    row.update(_scalars(then, "year_before_"))
    return row


def _scalars(figures: Figures | None, prefix: str) -> dict[str, Cell]:
    values: dict[str, Cell] = {} if figures is None else figures.model_dump(include=set(SCALARS))
    return {f"{prefix}{name}": values.get(name) for name in SCALARS}


def to_csv(report: MonthlyReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(), lineterminator="\n")
    writer.writeheader()
    for row in rows(report):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()
