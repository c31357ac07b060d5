"""Cases for the browser metrics: URLs and tab records as OSWorld's getters hand them over, from each task's rules.

URL variants cover what the reference's URL normalisation decides: a
trailing slash, ``www.``, a country-code domain (``airbnb.com.sg``), a
different scheme, query order, and another site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.differential.cases import Case, generates
from tests.differential.uses import Use


def url_variants(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.netloc
    bare = host[4:] if host.startswith("www.") else host
    path = parts.path
    return [
        ("same", url),
        ("trailing-slash", urlunsplit(parts._replace(path=path.rstrip("/") + "/"))),
        ("no-www", urlunsplit(parts._replace(netloc=bare))),
        ("country-code", urlunsplit(parts._replace(netloc=host + ".sg" if host.endswith(".com") else
                                                   host + ".uk" if host else host))),
        ("http", urlunsplit(parts._replace(scheme="http"))),
        ("query-added", urlunsplit(parts._replace(query=(parts.query + "&" if parts.query else "") + "ref=x"))),
        ("fragment", urlunsplit(parts._replace(fragment="top"))),
        ("other-site", "https://www.example.org/elsewhere"),
        ("upper-host", urlunsplit(parts._replace(netloc=host.upper()))),
    ]


def _wrap(use: Use, url: str | None) -> Any:
    """As the task's result getter returns it: a tab record, or the URL alone."""
    if url is None:
        return None
    getter = (use.result_getter or {}).get("type")
    return {"title": "t", "url": url, "content": ""} if getter in ("active_tab_info", "page_info") else url


@generates("is_expected_active_tab", "is_expected_url_pattern_match")
def active_tab(uses: list[Use], folder: Any) -> list[Case]:
    metric = folder.name
    cases: list[Case] = []
    for use in uses:
        rules = use.rules
        if metric == "is_expected_active_tab":
            base = rules["url"]
        else:
            base = "https://www.example.com/a/" + "/".join(p.strip("/") for p in rules["expected"]) + "/page"
        for label, url in [*url_variants(base), ("none", None), ("empty", "")]:
            cases.append(Case(metric, f"{use.task[:8]}:{label}", _wrap(use, url), rules, use.options, (use.task,)))
    return cases


@generates("is_expected_tabs")
def tabs(uses: list[Use], folder: Any) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        urls = use.rules["urls"]
        for label, _ in url_variants(urls[0]):
            tabs_ = [{"title": "t", "url": dict(url_variants(u))[label]} for u in urls]
            cases.append(Case("is_expected_tabs", f"{use.task[:8]}:{label}", tabs_, use.rules, use.options,
                              (use.task,)))
        for label, value in [("reordered", [{"url": u} for u in reversed(urls)]),
                             ("one-missing", [{"url": u} for u in urls[1:]]),
                             ("extra", [{"url": u} for u in [*urls, "https://example.org"]]), ("none", None),
                             ("empty", [])]:
            cases.append(Case("is_expected_tabs", f"{use.task[:8]}:{label}", value, use.rules, use.options,
                              (use.task,)))
    return cases


@generates("is_expected_search_query")
def search_query(uses: list[Use], folder: Any) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        for label, url in [("match", "https://www.google.com/search?q=Nereida&oq=x"),
                           ("no-amp", "https://www.google.com/search?q=Nereida"),
                           ("other", "https://www.google.com/search?q=Other&"), ("none", None)]:
            value = {"title": "t", "url": url} if url else None
            cases.append(Case("is_expected_search_query", f"{use.task[:8]}:{label}", value, use.rules, use.options,
                              (use.task,)))
    return cases


@generates("is_expected_bookmarks")
def bookmarks(uses: list[Use], folder: Any) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        rules = use.rules
        names = rules.get("names", [])
        urls = rules.get("urls", [])
        flat = [u if isinstance(u, str) else u[0] for u in urls]
        if rules["type"] == "liked_authors_websites_urls":
            folder_children = [{"type": "url", "name": f"a{i}", "url": u} for i, u in enumerate(flat)]
            good = [{"type": "folder", "name": names[0], "children": folder_children}]
        elif rules["type"] == "bookmark_bar_folders_names":
            good = [{"type": "folder", "name": n, "children": []} for n in names]
        else:
            good = [{"type": "url", "name": "x", "url": u} for u in flat]
        for label, children in [("good", good), ("empty", []), ("extra", [*good, {"type": "url", "name": "y",
                                                                                     "url": "https://example.org"}])]:
            value = {"bookmark_bar": {"children": children}, "other": {"children": []}}
            cases.append(Case("is_expected_bookmarks", f"{use.task[:8]}:{label}", value, rules,
                              use.options, (use.task,)))
        cases.append(Case("is_expected_bookmarks", f"{use.task[:8]}:none", None, rules, use.options, (use.task,)))
    return cases
