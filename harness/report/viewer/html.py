"""A tiny HTML builder that escapes by default.

Model text, tool output and checker messages are untrusted: a web page the
agent visited can put ``<script>`` into any of them.  So pages are never
assembled by pasting strings together; every element is made by ``el``, which
escapes every attribute value and every child that is not already ``Html``.
The only way to get unescaped markup is to build it with these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9:_.-]*$")
_VOID = frozenset({"meta", "link", "img", "br", "hr", "input"})


class Html(str):
    """Markup made by this module: inserted as is, never escaped again."""

    __slots__ = ()


Child = Html | str | int | float | None
AttrValue = str | int | float | bool | None
Attrs = Mapping[str, AttrValue]


def text(value: object) -> Html:
    """Any value as escaped text (quotes too, so it is also safe inside an attribute)."""
    return value if isinstance(value, Html) else Html(escape(str(value), quote=True))


def join(children: Iterable[Child]) -> Html:
    """Several children as one fragment; ``None`` is left out, so optional parts need no ``if`` at the call."""
    return Html("".join(text(c) for c in children if c is not None))


def el(tag: str, attrs: Attrs | None = None, *children: Child) -> Html:
    """One element; ``True`` attributes are written bare, ``False``/``None`` ones are left out."""
    _check_name(tag)
    opening = f"<{tag}{_attributes(attrs or {})}>"
    if tag in _VOID:
        if children:
            raise ValueError(f"<{tag}> cannot have children")
        return Html(opening)
    return Html(f"{opening}{join(children)}</{tag}>")


def _attributes(attrs: Attrs) -> str:
    parts = []
    for name, value in attrs.items():
        _check_name(name)
        if value is None or value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{text(_number(value))}"')
    return "".join(parts)


def _number(value: str | int | float) -> str | int | float:
    """Floats without noise (SVG coordinates, percentages): 12.5, not 12.500000000000002."""
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else value


def _check_name(name: str) -> None:
    """Tag and attribute names come from this package, never from data; a bad one is a bug."""
    if not _NAME.match(name):
        raise ValueError(f"not a valid HTML name: {name!r}")


def page(title: str, root: str, body: Iterable[Child], body_class: str = "") -> Html:
    """A whole document; ``root`` is the relative path to the site's top folder (for the shared assets)."""
    head = el("head", {},
              el("meta", {"charset": "utf-8"}),
              el("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
              el("meta", {"http-equiv": "Content-Security-Policy", "content": CONTENT_SECURITY_POLICY}),
              el("title", {}, title),
              el("link", {"rel": "stylesheet", "href": f"{root}assets/viewer.css"}),
              el("script", {"src": f"{root}assets/viewer.js", "defer": True}))
    return Html("<!DOCTYPE html>\n" + el("html", {"lang": "en"}, head,
                                         el("body", {"class": body_class or None}, join(body))) + "\n")


#: Defence in depth behind the escaping: no inline script or style, nothing from the network, only the
#: site's own files (``file:`` so that it holds when opened from disk, where browsers differ on ``'self'``).
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self' file:; style-src 'self' file:; "
                           "img-src 'self' file:; base-uri 'none'; form-action 'none'")
