"""The monthly report as text tables (rich) that fit 80 columns: a terminal of that width, or a
pipe (rich then assumes 80). One wide table had every share cut to "63…"; here each table has
at most seven narrow columns without vertical rules, figures never wrap, and no column holds
more than its widest figure, so nothing is cut. Swedish labels by default, English with
`lang="en"` (services/reporting/monthly/labels.py)."""

from rich import box
from rich.console import Group
from rich.padding import Padding
from rich.table import Table

from schemas import Channel, NeedCategory
from services.reporting.monthly.breakdown import Level, Satisfaction
from services.reporting.monthly.labels import (
    NBSP,
    Lang,
    category_name,
    channel_name,
    decimal,
    duration,
    month_name,
    number,
    percent,
    region_name,
    word,
)
from services.reporting.monthly.report import Comparison, MonthlyReport


def _table(title: str, first: str, *columns: str, caption: str | None = None) -> Table:
    table = Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        padding=(0, 1, 0, 0),  # with the blank rule between columns: two spaces apart
        title_justify="left",
        caption_justify="left",
    )
    table.add_column(first, justify="left", no_wrap=True)
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    return table


def render(report: MonthlyReport, lang: Lang = "sv") -> Group:
    """Every table of the report, in the order people read them."""
    tables = (
        _service_level(report, lang),
        _waits(report, lang),
        _channels(report, lang),
        _categories(report, lang),
        _satisfaction(report, lang),
        _trend(report, lang),
    )
    return Group(
        *(Padding(table, (0, 0, 1, 0), expand=False) for table in tables)
    )  # a blank line after each


def _groups(report: MonthlyReport) -> list[Comparison]:
    return [*report.regions, report.national]


def _service_level(report: MonthlyReport, lang: Lang) -> Table:
    now, then = month_name(report.month, lang), month_name(report.compared_with, lang)
    target = f"{report.target * 100:g}{NBSP}%"
    target = target.replace(".", ",") if lang == "sv" else target
    table = _table(
        word(
            "title",
            lang,
            minutes=f"{report.threshold_seconds / 60:g}",
            hours=report.hours,
            now=now,
            then=then,
        ),
        word("region", lang),
        then,
        now,
        word("change", lang),
        word("offered", lang),
        word("answered", lang),
        word("abandoned", lang),
        caption=word("caption", lang, target=target),
    )
    for comparison in _groups(report):
        this, before = comparison.this_month, comparison.year_before
        share = percent(this.share, lang)
        if this.share is not None and this.share < report.target:
            share = f"[red]{share}[/]"
        change = comparison.share_change_points
        national = comparison is report.national
        if national:
            table.add_section()
        table.add_row(
            region_name(comparison.region, lang),
            percent(before.share if before else None, lang),
            share,
            "–" if change is None else decimal(change, lang, sign=True),
            number(this.offered, lang),
            number(this.answered, lang),
            number(this.abandoned, lang),
            style="bold" if national else None,
        )
    return table


def _waits(report: MonthlyReport, lang: Lang) -> Table:
    table = _table(
        word("waits_title", lang),
        word("region", lang),
        word("mean_wait", lang),
        word("p90_wait", lang),
        word("contacts", lang),
        word("e_service", lang),
        word("hours_given", lang),
        word("hours_received", lang),
    )
    for comparison in _groups(report):
        this = comparison.this_month
        if comparison is report.national:
            table.add_section()
        table.add_row(
            region_name(comparison.region, lang),
            _seconds(this.mean_wait_seconds),
            _seconds(this.p90_wait_seconds),
            number(this.contacts, lang),
            percent(this.e_service_potential, lang),
            decimal(this.reinforcement_hours_given, lang),
            decimal(this.reinforcement_hours_received, lang),
        )
    return table


def _channels(report: MonthlyReport, lang: Lang) -> Table:
    table = _table(
        word("channels_title", lang, month=month_name(report.month, lang)),
        word("channel", lang),
        word("contacts", lang),
        word("offered", lang),
        word("answered", lang),
        word("within", lang),
        word("share", lang),
        word("target_col", lang),
    )
    for channel in Channel:
        level = report.national.this_month.channels[channel.value]
        table.add_row(
            channel_name(channel.value, lang),
            *_level_cells(level, lang),
            duration(level.threshold_seconds),
        )
    return table


def _categories(report: MonthlyReport, lang: Lang) -> Table:
    table = _table(
        word("categories_title", lang, month=month_name(report.month, lang), hours=report.hours),
        word("category", lang),
        word("contacts", lang),
        word("offered", lang),
        word("answered", lang),
        word("within", lang),
        word("share", lang),
    )
    for category in NeedCategory:
        level = report.national.this_month.categories[category.value]
        table.add_row(category_name(category.value, lang), *_level_cells(level, lang))
    return table


def _level_cells(level: Level, lang: Lang) -> tuple[str, ...]:
    """A channel's or a category's volumes and share, as both their tables print them."""
    return (
        number(level.contacts, lang),
        number(level.offered, lang),
        number(level.answered, lang),
        number(level.answered_within, lang),
        percent(level.share, lang),
    )


def _satisfaction(report: MonthlyReport, lang: Lang) -> Table:
    """One row per region and channel with ratings, then each region's and the nation's all."""
    table = _table(
        word("satisfaction_title", lang, month=month_name(report.month, lang)),
        word("region", lang),
        word("channel", lang),
        word("mean_rating", lang),
        word("ratings", lang),
        word("commented", lang),
        caption=None
        if report.national.this_month.satisfaction.ratings
        else word("no_ratings", lang),
    )
    for comparison in _groups(report):
        figures = comparison.this_month
        if not figures.satisfaction.ratings:
            continue
        if comparison is report.national:
            table.add_section()
        name = region_name(comparison.region, lang)
        for channel, rated in figures.satisfaction_by_channel.items():
            if rated.ratings:
                table.add_row(name, channel_name(channel, lang), *_rated(rated, lang))
                name = ""
        all_rated = _rated(figures.satisfaction, lang)
        table.add_row(name, word("all_channels", lang), *all_rated, style="bold")
    return table


def _rated(rated: Satisfaction, lang: Lang) -> tuple[str, str, str]:
    mean = "–" if rated.mean is None else decimal(rated.mean, lang, digits=2)
    return mean, number(rated.ratings, lang), number(rated.commented, lang)


def _trend(report: MonthlyReport, lang: Lang) -> Table:
    written_hours = f"{report.written_threshold_seconds / 3600:g}"
    table = _table(
        word("trend_title", lang),
        word("month", lang),
        word("calls_share", lang),
        word("handled", lang),
        word("contacts", lang),
        word("written_share", lang, hours=written_hours),
        word("mean_rating", lang),
        word("ratings", lang),
    )
    for point in report.trend:
        table.add_row(
            month_name(point.month, lang),
            percent(point.share, lang),
            number(point.handled, lang),
            number(point.contacts, lang),
            percent(point.written_share, lang),
            "–" if point.rating_mean is None else decimal(point.rating_mean, lang, digits=2),
            number(point.ratings, lang),
        )
    return table


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}:{seconds:02d}"
