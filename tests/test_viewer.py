"""The HTML trajectory viewer (``deskbench view``): pages from run folders, checked as HTML and in real Chromium.

Most tests use a run folder written here by the real trajectory writer (with
an injected ``<script>`` in every untrusted field).  The ``docker`` tests use
the session's real runs (``report_runs``): every episode gets a row, the
filters hide exactly the right rows, and a click drawn on a real screenshot
lands on the clicked pixel.  The smoke suite's solutions never click, so that
test adds a click and a drag to a copy of a real trajectory.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from harness.actions.vocabulary import ToolAction, parse_action
from harness.agents.base import Turn, Usage
from harness.errors import ConfigError
from harness.report.viewer import build_site
from harness.report.viewer.html import Html, el, join
from harness.report.viewer.overlay import caption, overlay
from harness.runner.episode import step_record
from harness.sandbox.guest import Screenshot
from harness.store.records import CheckpointScore, EpisodeResult, TokenUsage
from harness.store.run_folder import RunFolder, load_results
from harness.store.trajectory import TrajectoryWriter, episode_folder
from harness.tools.result import ToolResult

if TYPE_CHECKING:  # playwright is imported by the browser fixture, when a test needs it
    from playwright.sync_api import Browser, Page

INJECTION = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
SCREEN = (1000, 600)
CLICK = (250, 150)
DRAG = ((100, 500), (800, 100))
MAIN = "web.inject.b3.r0"
CHECKPOINT = "web.inject.b1.r0"
RETRIED = "files.retried.b3.r0"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


# ---- a run folder made by hand, through the real writers -------------------------------------------------------


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> Screenshot:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return Screenshot(buffer.getvalue(), "image/png", *size)


def act(value: dict[str, Any]) -> ToolAction:
    action = parse_action(value)
    assert not isinstance(action, str)
    return action


def record(episode_id: str, **fields: Any) -> EpisodeResult:
    domain, task = episode_id.split(".")[:2]
    values: dict[str, Any] = {"run_id": "pytest-hand", "episode_id": episode_id, "task_id": task, "domain": domain,
                              "agent": "claude", "model": "claude-test", "budget": 3, "status": "failure",
                              "score": 0.0, "steps_used": 3, **fields}
    return EpisodeResult(**values)


def write_main_trajectory(run: Path) -> None:
    """Three turns: a click and a drag (with injected output and error), typing, then DONE."""
    writer = TrajectoryWriter(episode_folder(run, MAIN))
    turns = [
        (Turn([act({"tool": "computer", "action": "left_click", "coordinate": list(CLICK)}),
               act({"tool": "computer", "action": "left_click_drag", "start_coordinate": list(DRAG[0]),
                    "coordinate": list(DRAG[1])})], text=INJECTION, usage=Usage(1200, 80, cost_usd=0.01)),
         [ToolResult(output=INJECTION), ToolResult(error=INJECTION)]),
        (Turn([act({"tool": "computer", "action": "type", "text": INJECTION})], text="typing now"), [ToolResult()]),
        (Turn([], control="DONE", text="done"), []),
    ]
    for n, (turn, results) in enumerate(turns):
        writer.step(step_record(n, turn, results, think_s=1.25 + n, env_s=0.5), png(SCREEN, (40 * n, 90, 160)))
    writer.final(png(SCREEN, (0, 200, 0)), {"score": 0.0, "outcomes": [{"metric": "exact_match", "score": 0.0,
                                                                         "result": INJECTION, "expected": "x"}]})


def make_hand_run(root: Path) -> Path:
    """A prefix-sweep episode with its checkpoint record, a retried episode, and one with no trajectory."""
    run = root / "pytest-hand"
    folder = RunFolder(run)
    folder.create()
    write_main_trajectory(run)
    main = record(MAIN, sweep="prefix", error=INJECTION, usage=TokenUsage(input_tokens=1200, output_tokens=80),
                  checkpoints=[CheckpointScore(steps=1, status="success", score=1.0)],
                  checker={"outcomes": [{"metric": "exact_match", "score": 0.0, "result": INJECTION}]})
    checkpoint = main.model_copy(update={"episode_id": CHECKPOINT, "budget": 1, "derived_from": MAIN,
                                         "status": "success", "score": 1.0, "steps_used": 1, "checkpoints": [],
                                         "checker": {"note": f"scored at the checkpoint after 1 turns of {MAIN}"}})
    first = record(RETRIED, agent="noop", model=None, status="infra_error", will_retry=True, error="engine gone")
    retry = record(RETRIED, agent="noop", model=None, attempt=1, status="success", score=1.0, steps_used=1)
    writer = TrajectoryWriter(episode_folder(run, f"{RETRIED}.a1"))
    writer.step(step_record(0, Turn([], control="DONE"), [], 0.1, 0.0), png(SCREEN, (1, 2, 3)))
    untraced = record("files.untraced.b3.r0", agent="noop", model=None, status="setup_error", error="no such file")
    folder.append_all([checkpoint, main, first, retry, untraced])
    return run


@pytest.fixture
def hand_run(tmp_path: Path) -> Path:
    return make_hand_run(tmp_path)


# ---- the HTML, without a browser -------------------------------------------------------------------------------


def test_builder_escapes_text_and_attributes_but_not_markup() -> None:
    made = el("p", {"title": '"><script>', "hidden": True, "lang": None}, "<b>", el("i", {}, "x"), None, 3)
    assert made == '<p title="&quot;&gt;&lt;script&gt;" hidden>&lt;b&gt;<i>x</i>3</p>'
    assert join(["<", Html("<br>")]) == "&lt;<br>"
    with pytest.raises(ValueError):
        el("p onclick=x", {})
    with pytest.raises(ValueError):
        el("p", {"onclick='x'": "y"})


def test_overlay_places_marks_in_screen_pixels() -> None:
    actions: list[dict[str, Any] | str] = [
        {"tool": "computer", "action": "left_click", "coordinate": [10, 20]},
        {"tool": "computer", "action": "left_click_drag", "start_coordinate": [1, 2], "coordinate": [30, 40]},
        {"tool": "computer", "action": "type", "text": "hi"}, "DONE",
    ]
    svg = overlay(actions, (1280, 800))
    assert svg is not None and 'viewBox="0 0 1280 800"' in svg
    assert '<g class="mark mark-left_click" data-action="left_click" data-x="10" data-y="20">' in svg
    assert '<circle class="mark-point" cx="10" cy="20"' in svg
    assert '<line class="mark-line" x1="1" y1="2" x2="30" y2="40"' in svg
    assert overlay([{"tool": "computer", "action": "type", "text": "hi"}], (1280, 800)) is None
    assert caption({"tool": "computer", "action": "key", "text": "ctrl+s"}).detail == "ctrl+s"
    assert caption({"tool": "bash", "command": "ls"}).detail == "ls"


def test_site_pages_escape_untrusted_text_and_follow_the_records(hand_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    site = build_site([hand_run], out)
    assert site.index == out / "index.html" and site.episodes == 4
    index = site.index.read_text()
    assert index.count("<tr data-status=") == 4
    assert 'data-agent="claude (claude-test)"' in index and 'data-budget="1"' in index
    main = (out / "runs" / "pytest-hand" / f"{MAIN}.html").read_text()
    assert "window.__pwned" in main and "<script>window" not in main and "<img src=x" not in main
    assert main.count("&lt;script&gt;window.__pwned = 1&lt;/script&gt;") >= 5  # text, output, error, typed, checker
    assert main.count('<article class="step"') == 3 and "thinking 1.25 s" in main
    assert 'data-action="left_click" data-x="250" data-y="150"' in main
    assert (out / "runs" / "pytest-hand" / "shots" / MAIN / "step-0002.png").is_file()
    assert (out / "runs" / "pytest-hand" / "shots" / MAIN / "final.png").is_file()
    assert not list(out.rglob("*.jsonl")), "only what the pages show is copied"


def test_a_checkpoint_shows_the_turns_up_to_it_and_links_its_episode(hand_run: Path, tmp_path: Path) -> None:
    build_site([hand_run], tmp_path / "site")
    page = (tmp_path / "site" / "runs" / "pytest-hand" / f"{CHECKPOINT}.html").read_text()
    assert page.count('<article class="step"') == 1
    assert f'<a href="../../runs/pytest-hand/{MAIN}.html">{MAIN}</a>' in page
    assert f"shots/{MAIN}/step-0001.png" in page and "the screen after turn 1" in page  # what was scored
    assert "final.png" not in page


def test_a_retried_episode_shows_its_last_attempt_and_lists_the_earlier(hand_run: Path, tmp_path: Path) -> None:
    build_site([hand_run], tmp_path / "site")
    pages = tmp_path / "site" / "runs" / "pytest-hand"
    retried = (pages / f"{RETRIED}.html").read_text()
    assert f"shots/{RETRIED}.a1/step-0000.png" in retried and "attempt 0: infra_error: engine gone" in retried
    assert "no trajectory was recorded" in (pages / "files.untraced.b3.r0.html").read_text()


def test_not_a_run_folder_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such folder"):
        build_site([tmp_path / "missing"], tmp_path / "site")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ConfigError, match=r"plain \(no episodes.jsonl\)"):
        build_site([tmp_path / "plain"], tmp_path / "site")
    (tmp_path / "plain" / "episodes.jsonl").write_text("")
    with pytest.raises(ConfigError, match="plain has no finished episodes"):
        build_site([tmp_path / "plain"], tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_out_must_be_new_empty_or_an_earlier_site(hand_run: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="other files"):
        build_site([hand_run], hand_run)
    out = tmp_path / "site"
    build_site([hand_run], out)
    (out / "runs" / "stale.html").write_text("old")
    build_site([hand_run], out)  # an earlier site is replaced
    assert not (out / "runs" / "stale.html").exists() and (out / "index.html").is_file()


def test_cli_view_writes_the_site_beside_one_run(hand_run: Path, tmp_path: Path) -> None:
    from harness.cli.app import app

    result = CliRunner().invoke(app, ["view", str(hand_run)])
    assert result.exit_code == 0, result.output
    assert "wrote 4 episode pages" in result.output and (hand_run / "view" / "index.html").is_file()
    several = CliRunner().invoke(app, ["view", str(hand_run), str(hand_run)])
    assert isinstance(several.exception, ConfigError) and "--out" in str(several.exception)


# ---- in Chromium ---------------------------------------------------------------------------------------------


def chromium() -> str:
    path = os.environ.get("DESKBENCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("the viewer tests need Chromium: install it or set DESKBENCH_CHROMIUM")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that fails the test on any script error (the site's own script must run cleanly)."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield opened
    context.close()
    assert not errors, errors


def visible_rows(page: Page) -> int:
    return page.locator("#episodes tbody tr:visible").count()


def check_marks(page: Page, step: int, screen: tuple[int, int], click: tuple[int, int],
                drag: tuple[tuple[int, int], tuple[int, int]]) -> None:
    """The click's marker centre and the drag line's ends sit on those pixels of the displayed image (2 px)."""
    article = page.locator(f"#step-{step}")
    article.scroll_into_view_if_needed()
    image = article.locator("img")
    image.evaluate("img => img.decode()")
    box = image.bounding_box()
    assert box is not None and 0 < box["width"] < screen[0], "the image is shown scaled, so scaling is tested"

    def on_image(x: float, y: float) -> tuple[float, float]:
        return box["x"] + x * box["width"] / screen[0], box["y"] + y * box["height"] / screen[1]

    marker = article.locator('g.mark[data-action="left_click"] circle.mark-point').bounding_box()
    assert marker is not None
    want = on_image(*click)
    assert abs(marker["x"] + marker["width"] / 2 - want[0]) <= 2
    assert abs(marker["y"] + marker["height"] / 2 - want[1]) <= 2
    line = article.locator('g.mark[data-action="left_click_drag"] line.mark-line').bounding_box()
    assert line is not None
    ends = [on_image(*drag[0]), on_image(*drag[1])]
    assert abs(line["x"] - min(e[0] for e in ends)) <= 2 and abs(line["x"] + line["width"] - max(e[0] for e in ends)) <= 2
    assert abs(line["y"] - min(e[1] for e in ends)) <= 2 and abs(line["y"] + line["height"] - max(e[1] for e in ends)) <= 2


def test_browser_shows_injected_text_as_text(hand_run: Path, tmp_path: Path, page: Page) -> None:
    build_site([hand_run], tmp_path / "site")
    page.goto((tmp_path / "site" / "runs" / "pytest-hand" / f"{MAIN}.html").as_uri())
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#step-0 .model-text").text_content() == INJECTION
    assert page.locator("#step-0 pre.output").text_content() == INJECTION
    assert page.locator("#step-1 pre.detail").text_content() == INJECTION
    assert page.locator("img[src=x]").count() == 0 and page.locator("body script").count() == 0


def test_browser_click_marker_sits_on_the_clicked_pixel(hand_run: Path, tmp_path: Path, page: Page) -> None:
    build_site([hand_run], tmp_path / "site")
    page.goto((tmp_path / "site" / "runs" / "pytest-hand" / f"{MAIN}.html").as_uri())
    check_marks(page, 0, SCREEN, CLICK, DRAG)
    page.set_viewport_size({"width": 640, "height": 800})  # one column: a different displayed size
    check_marks(page, 0, SCREEN, CLICK, DRAG)


@pytest.mark.docker
def test_browser_index_has_a_row_per_episode_and_filters_hide_the_right_rows(
        report_runs: dict[str, Path], tmp_path: Path, page: Page) -> None:
    runs = [report_runs[name] for name in ("oracle", "noop", "claude")]
    frame = load_results(*runs)
    build_site(runs, tmp_path / "site")
    page.goto((tmp_path / "site" / "index.html").as_uri())
    assert page.locator("#episodes tbody tr").count() == visible_rows(page) == len(frame)
    page.select_option('select[data-filter="status"]', "failure")
    assert visible_rows(page) == int((frame["status"] == "failure").sum()) > 0
    page.select_option('select[data-filter="budget"]', "1")
    both = frame[(frame["status"] == "failure") & (frame["budget"] == 1)]
    assert visible_rows(page) == len(both) > 0
    shown = page.locator("#episodes tbody tr:visible a").all_text_contents()
    assert sorted(shown) == sorted(both["episode_id"])
    assert "status=failure" in page.url  # kept in the URL, so going back to the index keeps the filters
    page.select_option('select[data-filter="status"]', "")
    assert visible_rows(page) == int((frame["budget"] == 1).sum())
    page.goto((tmp_path / "site" / "index.html").as_uri() + "#agent=noop&domain=files")
    assert visible_rows(page) == int(((frame["agent"] == "noop") & (frame["domain"] == "files")).sum()) > 0


@pytest.mark.docker
def test_browser_marks_on_a_real_screenshot(report_runs: dict[str, Path], tmp_path: Path, page: Page) -> None:
    """The claude run's first typing turn, with a click and a drag added to it (its solutions never click)."""
    run = tmp_path / "claude"
    shutil.copytree(report_runs["claude"], run)
    folder, step, screen = typing_turn(run)
    typed = step["actions"][0]["text"]
    step["actions"][:0] = [{"tool": "computer", "action": "left_click", "coordinate": [613, 417]},
                           {"tool": "computer", "action": "left_click_drag", "start_coordinate": [1000, 700],
                            "coordinate": [80, 60]}]
    replace_step(folder, step)
    build_site([run], tmp_path / "site")
    page.goto((tmp_path / "site" / "runs" / "claude" / f"{folder.name}.html").as_uri())
    check_marks(page, step["step"], screen, (613, 417), ((1000, 700), (80, 60)))
    assert page.locator(f"#step-{step['step']} li").nth(2).locator("pre.detail").text_content() == typed


def typing_turn(run: Path) -> tuple[Path, dict[str, Any], tuple[int, int]]:
    """The first recorded turn that types text and has its screenshot."""
    for folder in sorted((run / "episodes").iterdir()):
        for line in (folder / "steps.jsonl").read_text().splitlines():
            step = json.loads(line)
            actions = step["actions"]
            if step["screenshot"] and actions and actions[0].get("action") == "type":
                return folder, step, (step["screen"][0], step["screen"][1])
    raise AssertionError("no typing turn with a screenshot in the claude run")


def replace_step(folder: Path, changed: dict[str, Any]) -> None:
    lines = [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]
    lines = [changed if line["step"] == changed["step"] else line for line in lines]
    (folder / "steps.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
