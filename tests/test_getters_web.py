"""Browser getters that visit pages or read the profile's records, against the office image's real Chromium:
pages served inside the desktop on its loopback (the desktop has no network), a cookie a page set, an unpacked
extension the browser loaded, a page printed to PDF, a stand-in for recreation.gov's search flow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from harness.checkers import getters_web
from harness.checkers.context import EvalContext
from harness.checkers.registry import GETTERS, METRICS
from harness.sandbox import Sandbox, start_sandbox
from harness.sandbox.devtools import DevTools
from harness.setup import STEPS, SetupContext
from harness.tasks.schema import Getter, Task
from tests.waiting import poll

RUN = {"deskbench.run": "pytest-web-getters"}
HOME = "/home/user"
SITE = f"{HOME}/site"
ORIGIN = "http://127.0.0.1:8765"

PAGES = {
    "cart.html": "<!doctype html><title>Shopping Cart</title><h1>Your cart</h1><div class='item'>The Dota 2 Official "
                 "Soundtrack</div><script>document.cookie = 'cart=dota; max-age=86400; path=/';</script>",
    "profile.html": "<!doctype html><title>Yann LeCun</title><div id='gsc_prf_in'>Yann LeCun</div>"
                    "<table id='gsc_rsb_st'><tbody><tr><td>Citations</td><td>345074</td></tr>"
                    "<tr><td>h-index</td><td>147</td></tr></tbody></table>"
                    "<table><tbody id='gsc_a_b'><tr><td class='gsc_a_t'><a href='paper.html'>Deep learning</a></td>"
                    "</tr></tbody></table>",
    "paper.html": "<!doctype html><title>Deep learning</title><div id='gsc_oci_title_gg'><div>"
                  "<a href='https://hal.science/hal-04206682/document'>[PDF]</a></div></div>",
    "article.html": "<!doctype html><title>Agents</title><h1>LLM Powered Autonomous Agents</h1>"
                    "<p>Planning, memory and tool use.</p>",
    # recreation.gov's flow: search "Diamond", open the highlighted result (a new tab), ask for the next date
    "index.html": "<!doctype html><title>Recreation</title><input id='hero-search-input'>"
                  "<button class='nav-search-button' onclick=\"document.getElementById('results').innerHTML = "
                  "document.getElementById('hero-search-input').value === 'Diamond' ? "
                  "'<a class=search-result-highlight--success href=camp.html target=_blank>Diamond Lake</a>' : ''"
                  "\">Search</button><div id='results'></div>",
    "camp.html": "<!doctype html><title>Diamond Lake</title><button class='next-available' onclick=\""
                 "document.getElementById('grid').innerHTML = ['Site', 'Loop', 'Jun 14', 'Jun 15'].map(t => "
                 "'<span class=camp-sortable-column-header>' + t + '</span>').join('')\">Next available</button>"
                 "<div id='grid'></div>",
}
EXTENSION = {
    "manifest.json": json.dumps({"manifest_version": 3, "name": "__MSG_appName__", "version": "1.0",
                                 "default_locale": "en"}),
    "_locales/en/messages.json": json.dumps({"appName": {"message": "Hello Extension"}}),
}


def _task() -> Task:
    return Task.model_validate({"id": "web-getters", "instruction": "-", "evaluator": {"func": "exact_match"}})


def get(box: Sandbox, tmp_path: Path, name: str, **fields: Any) -> Any:
    return GETTERS[name](EvalContext(box.guest, _task(), tmp_path), Getter.model_validate({"type": name, **fields}))


def step(box: Sandbox, name: str, **params: Any) -> None:
    STEPS[name](SetupContext(box.guest, _task()), params)


@pytest.fixture(scope="module")
def office(office_image: str) -> Iterator[Sandbox]:
    with start_sandbox("office", labels=dict(RUN)) as box:
        for name, html in PAGES.items():
            box.guest.write_file(f"{SITE}/{name}", html.encode())
        for name, text in EXTENSION.items():
            box.guest.write_file(f"{HOME}/Desktop/helloExtension/{name}", text.encode())
        box.guest.spawn(["python3", "-m", "http.server", "8765", "--bind", "127.0.0.1", "--directory", SITE],
                        shell=False)
        poll(lambda: box.guest.run(["python3", "-c", f"import urllib.request; urllib.request.urlopen('{ORIGIN}/')"],
                                   shell=False).exit_code == 0, "the page server", 20)
        step(box, "launch", command=["google-chrome", "--remote-debugging-port=1337",
                                     f"--load-extension={HOME}/Desktop/helloExtension"])
        step(box, "chrome_open_tabs", urls_to_open=[f"file://{SITE}/article.html"])
        yield box


def _titles(box: Sandbox) -> list[str]:
    return sorted(t.title for t in DevTools(box.guest).tabs())


def test_page_info_visits_the_page_in_a_tab_of_its_own(office: Sandbox, tmp_path: Path) -> None:
    before = _titles(office)
    info = get(office, tmp_path, "page_info", url=f"{ORIGIN}/cart.html")
    assert info["title"] == "Shopping Cart" and info["url"] == f"{ORIGIN}/cart.html"
    assert METRICS["is_added_to_steam_cart"](info, {"items": ["The Dota 2 Official Soundtrack"]}) == 1.0
    assert _titles(office) == before  # its tab is closed again
    missing = get(office, tmp_path, "page_info", url="http://127.0.0.1:9/nothing")
    assert missing["content"] == "" or "Soundtrack" not in missing["content"]


def test_info_from_website_reads_texts_and_follows_links(office: Sandbox, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    infos = [{"action": "inner_text", "selector": "#gsc_prf_in"},
             {"action": "inner_text", "selector": "#gsc_rsb_st > tbody > tr:nth-child(2) > td:nth-child(2)"},
             {"action": "click_and_attribute", "selector": ["#gsc_a_b > tr:nth-child(1) > td.gsc_a_t > a",
                                                            "#gsc_oci_title_gg > div:nth-child(1) > a"],
              "attribute": "href"},
             {"action": "inner_text", "selector": "#gsc_a_b > tr:nth-child(1) > td.gsc_a_t > a"}]
    backups = ["backup"] * 4
    found = get(office, tmp_path, "info_from_website", url=f"{ORIGIN}/profile.html", infos=infos, backups=backups)
    assert found == ["Yann LeCun", "147", "https://hal.science/hal-04206682/document", "Deep learning"]
    broken = [{"action": "inner_text", "selector": "#not-there"}]
    monkeypatch.setattr(getters_web, "SELECTOR_TIMEOUT_S", 2.0)
    assert get(office, tmp_path, "info_from_website", url=f"{ORIGIN}/profile.html", infos=broken,
               backups=backups) == backups


def test_pdf_from_url_prints_the_page(office: Sandbox, tmp_path: Path) -> None:
    pdf = get(office, tmp_path, "pdf_from_url", path=f"{ORIGIN}/article.html", dest="gold.pdf")
    with pdfplumber.open(pdf) as doc:
        text = "\n".join(page.extract_text() or "" for page in doc.pages)
    assert "LLM Powered Autonomous Agents" in text and "Planning, memory and tool use." in text
    assert METRICS["compare_pdfs"](pdf, pdf) == 1.0
    assert office.guest.run("ls -d /tmp/deskbench-pdf.* 2>/dev/null | wc -l").stdout.strip() == "0"  # cleaned up
    assert office.guest.run("pgrep -f -- --print-to-pdf").exit_code == 1  # and no headless browser is left


def test_recreation_flow_on_a_stand_in_site(office: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _titles(office)
    found = get(office, tmp_path, "gotoRecreationPage_and_get_html_content", selector="class",
                **{"class": "camp-sortable-column-header", "order": "2", "url": f"{ORIGIN}/index.html"})
    assert found == {"expected": {"camp-sortable-column-header": "Jun 14"}}
    assert _titles(office) == before
    monkeypatch.setattr(getters_web, "PAGE_TIMEOUT_S", 3.0)  # a page without the search box fails in seconds
    gone = get(office, tmp_path, "gotoRecreationPage_and_get_html_content", selector="class",
               **{"class": "camp-sortable-column-header", "order": "2", "url": f"{ORIGIN}/article.html"})
    assert gone == {"expected": {"camp-sortable-column-header": "__EVALUATION_FAILED__"}}


def test_extensions_the_browser_loaded(office: Sandbox, tmp_path: Path) -> None:
    paths = poll(lambda: get(office, tmp_path, "find_unpacked_extension_path"), "the extension in the profile", 30)
    assert METRICS["is_in_list"](paths, {"expected": f"{HOME}/Desktop/helloExtension"}) == 1.0
    names = get(office, tmp_path, "find_installed_extension_name")
    assert "Hello Extension" in names
    assert METRICS["is_expected_installed_extensions"](names, {"expected": ["Hello Extension"]}) == 1.0


def test_cookies_a_page_set_are_read_after_the_browser_writes_them(office: Sandbox, tmp_path: Path) -> None:
    step(office, "chrome_open_tabs", urls_to_open=[f"{ORIGIN}/cart.html"])
    assert DevTools(office.guest).close_browser()  # a normal exit writes the cookie database
    rows = get(office, tmp_path, "cookie_data", dest="Cookies")
    assert any(row[1] == "127.0.0.1" for row in rows)
    assert METRICS["is_cookie_deleted"](rows, {"type": "domains", "domains": ["127.0.0.1"]}) == 0.0
    assert METRICS["is_cookie_deleted"](rows, {"type": "domains", "domains": [".amazon.com"]}) == 1.0
