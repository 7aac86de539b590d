"""The pages an acknowledgement link opens: Swedish first, English below. They say the alert's
region and kind only (never a citizen's data, nor the recipient's address), and the one page
that can acknowledge does so only through its form's POST: opening a link changes nothing.

The pages are never cached nor framed, and send no Referer (their address holds the token)."""

from html import escape

from fastapi.responses import HTMLResponse

from schemas import Region

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}

# The stored kinds of an alert, as the page names them (Swedish, English).
KINDS: dict[str, tuple[str, str]] = {
    "breach": ("Servicenivån är under målet", "service level below target"),
    "update": ("Servicenivån försämras", "service level worsening"),
    "predicted": ("Servicenivån väntas hamna under målet", "breach predicted"),
    "reinforcement": ("Förstärkning begärd", "reinforcement requested"),
    "recovery": ("Servicenivån är återställd", "service level recovered"),
    "written": ("Skriftligt ärende som kan vara nöd", "written contact that may be an emergency"),
}


def _page(title_sv: str, title_en: str, body: str, status_code: int) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title_sv)} / {escape(title_en)}</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}}
.en{{color:#555}} button{{font-size:1.1em;padding:.5em 1.2em}}</style></head>
<body><h1>{escape(title_sv)}</h1><p class="en" lang="en">{escape(title_en)}</p>
{body}</body></html>
"""
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def _about(region: Region, kind: str) -> str:
    sv, en = KINDS.get(kind, (kind, kind))
    name = escape(region.display_name)
    return (
        f'<p>Region {name}: {escape(sv)}.</p><p class="en" lang="en">Region {name}: '
        f"{escape(en)}.</p>"
    )


def confirm(region: Region, kind: str, token: str) -> HTMLResponse:
    """The page of an unacknowledged alert: its button acknowledges it."""
    form = (
        f'<form method="post" action="ack"><input type="hidden" name="token" '
        f'value="{escape(token, quote=True)}">'
        '<button type="submit">Kvittera larmet / Acknowledge the alert</button></form>'
    )
    note = (
        "<p>Kvittera när larmet är omhändertaget: då larmas inte nästa nivå.</p>"
        '<p class="en" lang="en">Acknowledge once the alert is in hand: the next level is then '
        "not alerted.</p>"
    )
    return _page("Kvittera larm", "Acknowledge the alert", _about(region, kind) + note + form, 200)


def acknowledged(region: Region, kind: str, already: bool) -> HTMLResponse:
    """After the POST, or on opening the link of an alert someone acknowledged already."""
    if already:
        return _page("Redan kvitterat", "Already acknowledged", _about(region, kind), 200)
    return _page("Kvitterat", "Acknowledged", _about(region, kind), 200)


def refused(reason: str) -> HTMLResponse:
    """A forged, damaged or expired link: nothing changes. `reason` names no token."""
    body = (
        "<p>Länken är ogiltig eller har gått ut. Kvittera i stället i larmverktyget.</p>"
        f'<p class="en" lang="en">{escape(reason)}.</p>'
    )
    return _page("Ogiltig länk", "The link is not valid", body, 403)


def gone() -> HTMLResponse:
    body = '<p>Larmet finns inte längre.</p><p class="en" lang="en">The alert is gone.</p>'
    return _page("Larmet finns inte", "No such alert", body, 404)
