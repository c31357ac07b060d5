"""What an HTML answer to a file download means: Google Drive's confirmation page, or an error page.

Drive answers a large file's download URL with a page ("can't scan this file
for viruses") instead of the file; the page carries what confirms the
download.  Any other page where a file was expected is named by its title
in the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit


class _PageLinks(HTMLParser):
    """Forms (action and named inputs), links and the title of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[dict[str, str], list[tuple[str, str]]]] = []
        self.links: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found, []))
        elif tag == "input" and self.forms and found.get("name"):
            self.forms[-1][1].append((found["name"], found.get("value", "")))
        elif tag == "a" and found.get("href"):
            self.links.append(found["href"])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def drive_confirmation(page_url: str, page: str, cookies: Mapping[str, str]) -> str | None:
    """The URL that confirms a Google Drive large-file download, from its warning page; None if not one.

    Drive has used three forms over the years: a form (``download-form``)
    whose action and hidden inputs (``id``, ``export``, ``confirm``, ``uuid``)
    make the file's URL; a link carrying ``confirm=``; and a
    ``download_warning`` cookie whose value is the token to add as ``confirm``.
    (The parser has already unescaped the attributes: ``&amp;`` is ``&`` here.)
    """
    parser = _PageLinks()
    parser.feed(page)
    for attrs, inputs in parser.forms:
        action = attrs.get("action", "")
        if attrs.get("id") == "download-form" or ("download" in action and any(k == "confirm" for k, _ in inputs)):
            return urljoin(page_url, action) + "?" + urlencode(inputs)
    for href in parser.links:
        if "confirm=" in href:
            return urljoin(page_url, href)
    for name, value in cookies.items():
        if name.startswith("download_warning"):
            parts = urlsplit(page_url)
            query = f"{parts.query}&confirm={value}" if parts.query else f"confirm={value}"
            return urlunsplit(parts._replace(query=query))
    return None


def page_title(page: str) -> str:
    """The page's title, on one line and short (to name an error page in a message)."""
    parser = _PageLinks()
    parser.feed(page)
    return " ".join(parser.title.split())[:80]
