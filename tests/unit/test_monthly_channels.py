"""The monthly report per channel and need category, written channels against their own target,
the citizens' ratings per region and channel, the 12-month trend, and the text tables at 80
columns in Swedish and English (pure: effects folded in memory as the store adds them)."""

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from rich.console import Console

from domain.service_level import NATIONAL
from pkc.report_tables import render
from schemas import Channel, ContactRated, NeedCategory, Region
from schemas.envelope import Event
from services.reporting.monthly.aggregation import Aggregation, effective
from services.reporting.monthly.chart import _draw, chart
from services.reporting.monthly.labels import NBSP
from services.reporting.monthly.report import MonthlyReport, build_report
from services.reporting.monthly.tabular import to_csv
from tests.contact_events import abandoned, answered, queued
from tests.unit.test_monthly_aggregation import classified

# Tuesday 7 May 2024, 10:00 in Stockholm; 23:00 that night is outside the calls' hours.
AT = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)
NIGHT = datetime(2024, 5, 7, 21, 0, tzinfo=UTC)
HOUR = 3600.0


def report_of(events: Iterable[Event], month: str = "2024-05", **kwargs: float) -> MonthlyReport:
    counts: dict[str, dict[str, dict[tuple[str, str], int]]] = {}
    for effect in effective(Aggregation(NATIONAL, **kwargs), events).values():
        for (region, m, metric, key), amount in effect.counts:
            cells = counts.setdefault(m, {}).setdefault(region, {})
            cells[(metric, key)] = cells.get((metric, key), 0) + amount
    threshold = kwargs.get("written_threshold_seconds", 24 * HOUR)
    return build_report(month, counts, [], NATIONAL, threshold)


def rated(
    score: int,
    region: Region = Region.NORD,
    channel: Channel = Channel.PHONE,
    commented: bool = False,
    received: datetime = AT,
) -> ContactRated:
    return ContactRated(
        occurred_at=received + timedelta(hours=1),
        contact_id=uuid.uuid4(),
        region=region,
        channel=channel,
        rating=score,
        commented=commented,
        received_at=received,
    )


def test_a_letter_is_counted_at_any_hour_against_the_written_target() -> None:
    mail = Channel.MAIL
    report = report_of(
        [
            classified(NIGHT, channel=mail),
            queued(NIGHT, channel=mail),  # 23:00: outside the calls' hours, still counted
            answered(NIGHT, 20 * HOUR, channel=mail),  # within 24 h
            answered(AT, 30 * HOUR, channel=mail),  # late
            answered(AT, 20 * 60, channel=Channel.PHONE),  # a call: late at 20 minutes
        ]
    )
    level = report.national.this_month.channels["mail"]
    assert (level.offered, level.answered, level.answered_within) == (1, 2, 1)
    assert level.share == 0.5
    assert level.threshold_seconds == 24 * HOUR
    assert level.written
    assert level.contacts == 1
    phone = report.national.this_month.channels["phone"]
    assert (phone.answered_within, phone.share, phone.threshold_seconds) == (0, 0.0, 600)
    # The calls' national share is not touched by letters.
    assert report.national.this_month.answered == 1


def test_the_written_target_is_configurable() -> None:
    events = [answered(AT, 5 * HOUR, channel=Channel.E_SERVICE)]
    assert report_of(events).national.this_month.channels["e_service"].share == 1.0
    strict = report_of(events, written_threshold_seconds=4 * HOUR)
    assert strict.national.this_month.channels["e_service"].share == 0.0
    assert strict.written_threshold_seconds == 4 * HOUR


def test_need_categories_have_their_volumes_and_calls_service_level() -> None:
    report = report_of(
        [
            classified(AT, category=NeedCategory.URGENT),
            classified(AT, category=NeedCategory.URGENT, channel=Channel.MAIL),
            answered(AT, 60, category=NeedCategory.URGENT),
            answered(AT, 900, category=NeedCategory.URGENT),
            answered(AT, 60, category=NeedCategory.INFORMATION),
        ]
    )
    categories = report.national.this_month.categories
    assert categories["urgent"].contacts == 2
    assert (categories["urgent"].answered, categories["urgent"].share) == (2, 0.5)
    assert categories["information"].share == 1.0
    assert categories["emergency"].share is None


def test_ratings_per_region_and_channel() -> None:
    report = report_of(
        [
            rated(5, Region.SYD, Channel.PHONE),
            rated(2, Region.SYD, Channel.PHONE, commented=True),
            rated(4, Region.SYD, Channel.MAIL),
            rated(1, Region.NORD, Channel.PHONE),
        ]
    )
    syd = next(c for c in report.regions if c.region == "syd").this_month
    assert (syd.satisfaction.ratings, syd.satisfaction.mean) == (3, round(11 / 3, 3))
    assert syd.satisfaction_by_channel["phone"].mean == 3.5
    assert syd.satisfaction_by_channel["phone"].commented == 1
    assert syd.satisfaction_by_channel["mail"].by_score["4"] == 1
    national = report.national.this_month.satisfaction
    assert (national.ratings, national.mean) == (4, 3.0)


def test_a_rating_counts_in_the_month_the_contact_was_received() -> None:
    late_april = datetime(2024, 4, 30, 21, 30, tzinfo=UTC)  # 23:30 Stockholm, still April
    report = report_of([rated(5, received=late_april)])
    assert report.national.this_month.satisfaction.ratings == 0
    assert report.trend[-2].month == "2024-04"
    assert report.trend[-2].ratings == 1


def test_the_trend_covers_twelve_months_ending_with_the_report() -> None:
    june_before = datetime(2023, 6, 6, 8, 0, tzinfo=UTC)
    report = report_of(
        [
            answered(june_before, 60),
            abandoned(june_before, 900),
            answered(AT, 60),
            answered(AT, 2 * HOUR, channel=Channel.SOCIAL_MEDIA),
        ]
    )
    months = [point.month for point in report.trend]
    assert months[0] == "2023-06"
    assert months[-1] == "2024-05"
    assert len(months) == 12
    assert (report.trend[0].share, report.trend[0].handled) == (0.5, 2)
    assert (report.trend[-1].share, report.trend[-1].written_share) == (1.0, 1.0)
    assert report.trend[5].share is None


def _text(report: MonthlyReport, lang: str) -> str:
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)  # a pipe: 80 columns, no colour
    console.print(render(report, lang))  # type: ignore[arg-type]
    return out.getvalue()


def _busy_month() -> MonthlyReport:
    """A national month's volumes (over a million calls): the widest figures there are."""
    counts: dict[str, dict[str, dict[tuple[str, str], int]]] = {"2024-05": {}, "2023-05": {}}
    for index, region in enumerate(Region):
        for month, scale in (("2024-05", 1), ("2023-05", 2)):
            within = 1_234_567 - index * 98_765 * scale
            counts[month][region.value] = {
                ("sl:all", "offered"): 1_534_567,
                ("sl:all", "answered_within"): within,
                ("sl:all", "answered_late"): 123_456 + index * 54_321,
                ("sl:all", "abandoned_late"): 98_765,
                ("sl:channel:phone", "answered_within"): within,
                ("sl:written:mail", "answered_within"): 123_456,
                ("sl:category:urgent", "answered_within"): 234_567,
                ("contacts", "phone|urgent"): 2_345_678,
                ("rating", f"phone|{1 + index % 5}"): 123_456,
                ("rating", "social_media|4"): 23_456,
                ("rating_commented", "social_media"): 12_345,
                ("wait", "0003"): 1_000_000,
                ("wait_ms", "sum"): 35_000_000_000,
            }
    return build_report("2024-05", counts, [], NATIONAL)


def test_every_share_prints_in_full_at_80_columns_in_both_languages() -> None:
    report = _busy_month()
    for lang, point in (("sv", ","), ("en", ".")):
        text = _text(report, lang)
        assert "…" not in text
        assert max(len(line) for line in text.splitlines()) <= 80
        for comparison in (*report.regions, report.national):
            share = comparison.this_month.share
            assert share is not None
            figure = f"{share * 100:.1f}".replace(".", point)
            assert f"{figure}{NBSP}%" in text, (lang, comparison.region, figure)


def test_labels_are_swedish_by_default_and_english_on_request() -> None:
    report = _busy_month()
    swedish, english = _text(report, "sv"), _text(report, "en")
    assert "Besvarade inom 10 minuter" in swedish
    assert "maj 2024" in swedish
    assert "Per behovskategori" in swedish
    assert "Brev" in swedish
    assert "Skyndsamt" in swedish
    assert "Nöjdhet per region och kanal" in swedish
    assert "Sverige" in swedish
    assert "Answered within 10 minutes" in english
    assert "May 2024" in english
    assert "Per need category" in english
    assert "Mail" in english
    assert "Urgent" in english
    assert "Satisfaction per region and channel" in english
    assert "Sweden" in english
    assert "Besvarade" not in english
    assert f"24{NBSP}h" in swedish  # the written channels' own target


def test_the_csv_has_a_column_per_channel_category_and_rating() -> None:
    report = report_of([answered(NIGHT, 3 * HOUR, channel=Channel.MAIL), rated(4)])
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    national = rows[-1]
    assert (national["share_mail"], national["answered_within_mail"]) == ("1.0", "1")
    assert national["share_urgent"] == ""
    assert (national["rating_mean"], national["ratings_phone"]) == ("4.0", "1")


def test_the_chart_is_labelled_in_the_language_asked_for_with_the_trend_below() -> None:
    report = _busy_month()
    swedish, english = _draw(report, "sv"), _draw(report, "en")
    bars, trend = swedish.axes
    assert bars.get_title(loc="left").startswith("Besvarade inom 10 minuter")
    assert [t.get_text() for t in bars.get_xticklabels()][-1] == "Sverige"
    assert trend.get_title(loc="left") == "Trend, de senaste 12 månaderna (hela landet)"
    assert [t.get_text() for t in trend.get_xticklabels()][-1] == "maj 2024"
    assert english.axes[0].get_title(loc="left").startswith("Answered within 10 minutes")
    assert [t.get_text() for t in english.axes[1].get_xticklabels()][-1] == "May 2024"
    assert chart(report, "png", "en").startswith(b"\x89PNG")
