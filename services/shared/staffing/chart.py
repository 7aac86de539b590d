"""A hand-written SVG chart: stacked bars per hour (one colour per series) and overlay lines.

No plotting library: the chart is a few dozen rectangles and two polylines, and SVG is text.
"""

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 960, 520
LEFT, RIGHT, TOP, BOTTOM = 70, 190, 50, 60
PALETTE = ("#1f4e79", "#2e86c1", "#48c9b0", "#f4d03f", "#eb984e", "#cb4335", "#8e44ad")
LINE_COLOURS = ("#111111", "#7f8c8d")


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return float(factor * step)
    return float(10 * step)


def stacked_hours(
    title: str,
    y_label: str,
    bars: Mapping[str, Sequence[float]],
    lines: Mapping[str, Sequence[float]],
) -> str:
    """24 stacked bars (hours 0-23) of `bars`, with `lines` drawn over them."""
    totals = [sum(series[h] for series in bars.values()) for h in range(24)]
    top = _nice_top(max([*totals, *(v for series in lines.values() for v in series), 1.0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / 24

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="28" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    for i in range(6):  # horizontal grid and y ticks
        value = top * i / 5
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#dddddd"/>'
            f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
    for hour in range(24):
        base = 0.0
        x = LEFT + hour * slot + slot * 0.15
        for colour, series in zip(PALETTE * 4, bars.values(), strict=False):
            value = series[hour]
            if value > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(base + value):.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{y(base) - y(base + value):.1f}" fill="{colour}"/>'
                )
            base += value
        if hour % 2 == 0:
            parts.append(
                f'<text x="{LEFT + (hour + 0.5) * slot:.1f}" y="{TOP + plot_h + 18}" '
                f'text-anchor="middle">{hour:02d}</text>'
            )
    for colour, series in zip(LINE_COLOURS * 4, lines.values(), strict=False):
        points = " ".join(f"{LEFT + (h + 0.5) * slot:.1f},{y(series[h]):.1f}" for h in range(24))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5" '
            'stroke-dasharray="6 3"/>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#333333"/>'
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        'stroke="#333333"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 18}" text-anchor="middle">'
        "hour (Stockholm local time)</text>"
        f'<text x="18" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 18 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    legend_x, legend_y = WIDTH - RIGHT + 20, TOP + 10
    entries = [(c, name, "bar") for c, name in zip(PALETTE * 4, bars, strict=False)]
    entries += [(c, name, "line") for c, name in zip(LINE_COLOURS * 4, lines, strict=False)]
    for i, (colour, name, kind) in enumerate(entries):
        row = legend_y + i * 20
        if kind == "bar":
            parts.append(
                f'<rect x="{legend_x}" y="{row - 10}" width="12" height="12" fill="{colour}"/>'
            )
        else:
            parts.append(
                f'<line x1="{legend_x - 2}" x2="{legend_x + 14}" y1="{row - 4}" y2="{row - 4}" '
                f'stroke="{colour}" stroke-width="2.5" stroke-dasharray="6 3"/>'
            )
        parts.append(f'<text x="{legend_x + 20}" y="{row}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
