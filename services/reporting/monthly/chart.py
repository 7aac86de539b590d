"""The year-over-year chart with matplotlib (Agg, no pyplot: no global figure state, safe in a
server's threads): per region and nationally a bar for the same month a year before and one for
this month, on a 0-100 % axis, with the target as a dashed line; below it the national trend of
the last 12 months, calls and written channels each against their own target. PNG or SVG, with
Swedish labels by default or English (labels.py)."""

import io
from typing import TYPE_CHECKING, Literal

from services.reporting.monthly.labels import Lang, month_name, region_name, word
from services.reporting.monthly.report import MonthlyReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ChartFormat = Literal["png", "svg"]
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
BEFORE_COLOUR, NOW_COLOUR, MISSED_COLOUR, TARGET_COLOUR = "#9db4cc", "#1d4f91", "#b5452f", "#c0392b"


def chart(report: MonthlyReport, output: ChartFormat = "png", lang: Lang = "sv") -> bytes:
    # Imported here: matplotlib takes a second to import, which every `pkc` command and the
    # service's start would pay for a chart they may never draw.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = _draw(report, lang)
    buffer = io.BytesIO()
    # No creation date in the metadata: the same report gives the same file.
    metadata = {"Date": None} if output == "svg" else {"Software": None}
    with rc_context({"svg.hashsalt": "pkc-monthly"}):  # stable element ids in the SVG
        FigureCanvasAgg(figure).print_figure(buffer, format=output, dpi=110, metadata=metadata)
    return buffer.getvalue()


def _draw(report: MonthlyReport, lang: Lang) -> "Figure":
    from matplotlib.figure import Figure

    groups = [*report.regions, report.national]
    names = [region_name(group.region, lang) for group in groups]
    then = [_percent(g.year_before.share if g.year_before else None) for g in groups]
    now = [_percent(g.this_month.share) for g in groups]
    target = report.target * 100
    figure = Figure(figsize=(9.5, 8.0))
    axes, trend_axes = figure.subplots(2, 1, height_ratios=(1.15, 1))
    positions = range(len(groups))
    width = 0.38
    before_bars = axes.bar(
        [p - width / 2 for p in positions], [v or 0.0 for v in then], width, color=BEFORE_COLOUR
    )
    now_colours = [NOW_COLOUR if v is None or v >= target else MISSED_COLOUR for v in now]
    now_bars = axes.bar(
        [p + width / 2 for p in positions], [v or 0.0 for v in now], width, color=now_colours
    )
    for bars, values in ((before_bars, then), (now_bars, now)):
        labels = ["–" if v is None else f"{v:.1f}" for v in values]
        axes.bar_label(bars, labels=labels, padding=2, fontsize=8)
    axes.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.3)
    axes.text(
        len(groups) - 0.5,
        target + 1,
        word("target_label", lang, target=f"{target:g} %"),
        color=TARGET_COLOUR,
        ha="right",
        va="bottom",
        fontsize=9,
    )
    axes.set_xticks(list(positions), names)
    axes.get_xticklabels()[-1].set_fontweight("bold")
    _label(axes, report, lang)
    _trend(trend_axes, report, lang)
    figure.tight_layout()
    return figure


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _label(axes: "Axes", report: MonthlyReport, lang: Lang) -> None:
    """Axis, title and legend: the threshold and hours are the report's policy's."""
    from matplotlib.patches import Patch

    minutes = f"{report.threshold_seconds / 60:g}"
    axes.set_ylim(0, 118)  # room for the legend above the 100 % line
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel(word("axis", lang, minutes=minutes))
    axes.yaxis.grid(True, color="#e3e3e3")
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    now, then = month_name(report.month, lang), month_name(report.compared_with, lang)
    axes.set_title(
        word("title", lang, minutes=minutes, hours=report.hours, now=now, then=then),
        loc="left",
        fontsize=12,
        fontweight="bold",
    )
    axes.legend(
        handles=[
            Patch(color=BEFORE_COLOUR, label=then),
            Patch(color=NOW_COLOUR, label=now),
            Patch(color=MISSED_COLOUR, label=word("below_target", lang, month=now)),
        ],
        loc="upper left",
        ncols=3,
        frameon=False,
        fontsize=9,
    )


def _trend(axes: "Axes", report: MonthlyReport, lang: Lang) -> None:
    """The last 12 months nationally: the calls' share and the written channels', in time."""
    points = report.trend
    months = [month_name(p.month, lang) for p in points]
    calls = [_nan(p.share) for p in points]
    written = [_nan(p.written_share) for p in points]
    hours = f"{report.written_threshold_seconds / 3600:g}"
    calls_label = word("calls_share", lang).replace("\n", " ")
    written_label = word("written_share", lang, hours=hours).replace("\n", " ")
    axes.plot(months, calls, marker="o", color=NOW_COLOUR, label=calls_label)
    axes.plot(months, written, marker="s", color=BEFORE_COLOUR, label=written_label)
    axes.axhline(report.target * 100, color=TARGET_COLOUR, linestyle="--", linewidth=1.3)
    axes.set_ylim(0, 118)
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel(word("trend_axis", lang))
    axes.yaxis.grid(True, color="#e3e3e3")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    axes.set_title(word("trend_title", lang), loc="left", fontsize=11, fontweight="bold")
    axes.legend(loc="upper left", ncols=2, frameon=False, fontsize=9)


def _nan(share: float | None) -> float:
    return float("nan") if share is None else share * 100
