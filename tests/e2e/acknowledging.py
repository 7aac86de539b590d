"""Following an alert's acknowledgement link as a person does, and as a mail client's link
scanner does: opening it shows a page and changes nothing; the page's button POSTs the token."""

from urllib.parse import parse_qs, urlsplit

import httpx

PREFIX = "Acknowledge: "


def link_in(text: str) -> str:
    """The acknowledgement link of an e-mail's text (each recipient's own)."""
    (line,) = [line for line in text.splitlines() if line.startswith(PREFIX)]
    return line.removeprefix(PREFIX)


def open_as_a_scanner(link: str) -> None:
    """What a link scanner does: GET the link, and HEAD it. The page offers a button only."""
    page = httpx.get(link)
    assert page.status_code == 200, page.text
    assert 'method="post"' in page.text
    assert httpx.head(link).status_code in (200, 405)


def press_the_button(link: str) -> httpx.Response:
    """What the person does on the page: POST the link's token to the form's action."""
    parts = urlsplit(link)
    token = parse_qs(parts.query)["token"][0]
    return httpx.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data={"token": token})
