"""The staffing chart with matplotlib, as the monthly report draws its chart (Agg, no pyplot):
operators needed per local hour, one stacked bar segment per region, with the national pool
(and Erlang C's sum of regions, when the bars are Erlang A) as dashed lines. PNG or SVG by the
file's suffix; SVG keeps its text as text, so the regions' names can be searched and read."""

import io
from pathlib import Path
from typing import TYPE_CHECKING

from domain.staffing.forecast import HOURS
from domain.staffing.plan import Model, StaffingPlan, count

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = ("#1f4e79", "#2e86c1", "#48c9b0", "#f4d03f", "#eb984e", "#cb4335", "#8e44ad")
LINE_COLOURS = ("#111111", "#7f8c8d")
FORMATS = ("png", "svg")


def chart_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"{path}: the chart is written as .png or .svg, not {path.suffix!r}")
    return suffix


def staffing_chart(result: StaffingPlan, output: str = "svg") -> bytes:
    # Imported here: matplotlib takes a second to import, which every `pkc` command would pay.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = _draw(result)
    buffer = io.BytesIO()
    metadata = {"Date": None} if output == "svg" else {"Software": None}  # same plan, same file
    with rc_context({"svg.hashsalt": "pkc-staffing", "svg.fonttype": "none"}):
        FigureCanvasAgg(figure).print_figure(buffer, format=output, dpi=110, metadata=metadata)
    return buffer.getvalue()


def _draw(result: StaffingPlan) -> "Figure":
    from matplotlib.figure import Figure

    model = result.models[-1]  # Erlang A when patience is known
    figure = Figure(figsize=(9.6, 5.2))
    axes = figure.add_subplot()
    hours = list(HOURS)
    base = [0.0] * len(hours)
    for colour, (region, needs) in zip(PALETTE * 4, result.regions.items(), strict=False):
        heights = [float(count(need, model)) for need in needs]
        axes.bar(hours, heights, 0.7, bottom=base, color=colour, label=region.display_name)
        base = [b + h for b, h in zip(base, heights, strict=True)]
    lines = {"one national pool": result.pooled(model)}
    if model == Model.ERLANG_A:
        lines["Erlang C, Σ regions"] = result.separate(Model.ERLANG_C)
    for colour, (label, values) in zip(LINE_COLOURS, lines.items(), strict=False):
        axes.plot(hours, values, color=colour, linestyle="--", linewidth=2, label=label)
    policy = result.assumptions.policy
    name = "Erlang A" if model == Model.ERLANG_A else "Erlang C"
    axes.set_title(
        f"Operators needed for {policy.target_percent} within {policy.threshold_minutes} min "
        f"({name}), per region",
        loc="left",
        fontsize=12,
        fontweight="bold",
    )
    axes.set_xticks(hours[::2], [f"{h:02d}" for h in hours[::2]])
    axes.set_xlabel(f"hour ({policy.timezone.key} local time)")
    axes.set_ylabel("operators on the phones")
    axes.yaxis.grid(True, color="#e3e3e3")
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    figure.tight_layout()
    return figure
