"""The monthly report's words and numbers in Swedish (the default) or English, for the tables
of `pkc report monthly` and the chart: one place, so both say the same."""

from typing import Literal

from schemas import Channel, NeedCategory, Region
from services.reporting.monthly.months import parse_month

Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")
NBSP = "\u00a0"

_MONTHS = {
    "sv": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_CHANNELS = {
    "sv": {
        Channel.PHONE: "Telefon 114 14",
        Channel.E_SERVICE: "E-tjänst",
        Channel.SOCIAL_MEDIA: "Sociala medier",
        Channel.RECEPTION: "Reception",
        Channel.PHYSICAL_MEETING: "Fysiskt möte",
        Channel.MAIL: "Brev",
    },
    "en": {
        Channel.PHONE: "Phone 114 14",
        Channel.E_SERVICE: "E-service",
        Channel.SOCIAL_MEDIA: "Social media",
        Channel.RECEPTION: "Reception",
        Channel.PHYSICAL_MEETING: "Meeting",
        Channel.MAIL: "Mail",
    },
}
_CATEGORIES = {
    "sv": {c: c.display_name for c in NeedCategory},
    "en": {
        NeedCategory.EMERGENCY: "Emergency",
        NeedCategory.URGENT: "Urgent",
        NeedCategory.CASE_HELP: "Help with a case",
        NeedCategory.INFORMATION: "Information",
    },
}
WORDS: dict[str, dict[Lang, str]] = {
    "title": {
        "sv": "Besvarade inom {minutes} minuter ({hours}): {now} mot {then}",
        "en": "Answered within {minutes} minutes ({hours}): {now} vs {then}",
    },
    "caption": {
        "sv": "mål {target}; väntetider för besvarade samtal; e-tjänst: samtal en e-tjänst "
        "kunde ha tagit",
        "en": "target {target}; waits of answered calls; e-service: calls an e-service "
        "could have taken",
    },
    "region": {"sv": "Region", "en": "Region"},
    "national": {"sv": "Sverige", "en": "Sweden"},
    "change": {"sv": "Förändr.\n(p.e.)", "en": "Change\n(pp)"},
    "offered": {"sv": "Erbjudna", "en": "Offered"},
    "answered": {"sv": "Besvarade", "en": "Answered"},
    "abandoned": {"sv": "Avbrutna", "en": "Abandoned"},
    "waits_title": {"sv": "Väntetider och volymer", "en": "Waits and volumes"},
    "mean_wait": {"sv": "Medel-\nväntan", "en": "Mean\nwait"},
    "p90_wait": {"sv": "p90-\nväntan", "en": "p90\nwait"},
    "contacts": {"sv": "Kontakter", "en": "Contacts"},
    "e_service": {"sv": "E-tjänst", "en": "E-service"},
    "hours_given": {"sv": "Förstärkn.\ngivna h", "en": "Reinf. h\ngiven"},
    "hours_received": {"sv": "Förstärkn.\nmottagna h", "en": "Reinf. h\nreceived"},
    "channels_title": {
        "sv": "Per kanal, {month} (skriftliga kanaler dygnet runt mot sitt eget mål)",
        "en": "Per channel, {month} (written channels at any hour, against their own target)",
    },
    "channel": {"sv": "Kanal", "en": "Channel"},
    "within": {"sv": "Inom\nmål", "en": "In\ntime"},
    "share": {"sv": "Andel", "en": "Share"},
    "target_col": {"sv": "Mål", "en": "Target"},
    "categories_title": {
        "sv": "Per behovskategori, {month} (samtal {hours})",
        "en": "Per need category, {month} (calls {hours})",
    },
    "category": {"sv": "Behovs-\nkategori", "en": "Need\ncategory"},
    "satisfaction_title": {
        "sv": "Nöjdhet per region och kanal, {month} (betyg 1–5)",
        "en": "Satisfaction per region and channel, {month} (ratings 1–5)",
    },
    "all_channels": {"sv": "Alla kanaler", "en": "All channels"},
    "mean_rating": {"sv": "Medel-\nbetyg", "en": "Mean\nrating"},
    "ratings": {"sv": "Betyg", "en": "Ratings"},
    "commented": {"sv": "Med\nkommentar", "en": "Commented"},
    "no_ratings": {"sv": "inga betyg denna månad", "en": "no ratings this month"},
    "trend_title": {
        "sv": "Trend, de senaste 12 månaderna (hela landet)",
        "en": "Trend, the last 12 months (national)",
    },
    "month": {"sv": "Månad", "en": "Month"},
    "calls_share": {"sv": "Samtal\ninom mål", "en": "Calls\nin time"},
    "handled": {"sv": "Hanterade", "en": "Handled"},
    "written_share": {"sv": "Skriftliga\ninom {hours} h", "en": "Written\nin {hours} h"},
    "target_label": {"sv": "mål {target}", "en": "target {target}"},
    "axis": {
        "sv": "besvarade inom {minutes} min (%)",
        "en": "answered within {minutes} min (%)",
    },
    "below_target": {"sv": "{month}, under målet", "en": "{month}, below target"},
    "trend_axis": {"sv": "inom mål (%)", "en": "in time (%)"},
}


def word(key: str, lang: Lang, **values: object) -> str:
    return WORDS[key][lang].format(**values)


def month_name(month: str, lang: Lang) -> str:
    """'maj 2024' / 'May 2024'."""
    year, number = parse_month(month)
    return f"{_MONTHS[lang][number - 1]} {year}"


def channel_name(channel: str, lang: Lang) -> str:
    return _CHANNELS[lang][Channel(channel)]


def category_name(category: str, lang: Lang) -> str:
    return _CATEGORIES[lang][NeedCategory(category)]


def region_name(region: str, lang: Lang) -> str:
    """A region's slug, or 'national'."""
    if region == "national":
        return word("national", lang)
    return Region(region).display_name


def decimal(value: float, lang: Lang, digits: int = 1, sign: bool = False) -> str:
    text = f"{value:+,.{digits}f}" if sign else f"{value:,.{digits}f}"
    if lang == "sv":  # 1 234,5: a (non-breaking) space between thousands, a decimal comma
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def number(value: int, lang: Lang) -> str:
    text = f"{value:,}"
    return text.replace(",", NBSP) if lang == "sv" else text


def percent(share: float | None, lang: Lang) -> str:
    """'63,6 %' / '63.6 %' (a space before the sign in both, as the seeds write it)."""
    return "–" if share is None else f"{decimal(share * 100, lang)}{NBSP}%"


def duration(seconds: float) -> str:
    """'24 h', '10 min'."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}{NBSP}h"
    return f"{seconds / 60:g}{NBSP}min"
