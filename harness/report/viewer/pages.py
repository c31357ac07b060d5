"""The two kinds of page: the index of episodes (with filters) and one episode's timeline.

Pages only arrange what ``data`` read; every value goes through the escaping
builder in ``html``.  Filters and sorting are done in the browser by
``viewer.js`` from ``data-*`` attributes, so the site needs no server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import zip_longest
from typing import Any

from harness.report.viewer.data import Episode, Run, Step
from harness.report.viewer.html import Child, Html, el, join, page
from harness.report.viewer.overlay import caption, overlay
from harness.store.records import EpisodeResult
from harness.store.steps import ModelCall

#: The index's filters (keys of ``filter_values``); the run filter is added when there are several runs.
FILTERS = ("status", "domain", "budget", "agent")
LONG_TEXT = 4000  # tool output longer than this is folded (still all there, and escaped)


def filter_values(episode: Episode) -> dict[str, str]:
    """What each filter compares against, as ``data-*`` values on the episode's row."""
    r = episode.record
    return {"status": r.status, "domain": r.domain, "budget": str(r.budget), "agent": episode.agent_label,
            "run": episode.run_slug}


# ---- the index -------------------------------------------------------------------------------------------------


def index_page(runs: Sequence[Run]) -> Html:
    episodes = [e for run in runs for e in run.episodes]
    keys = [*FILTERS, "run"] if len(runs) > 1 else list(FILTERS)
    title = "deskbench: " + ", ".join(run.run_id for run in runs)
    return page(title, "", [
        el("header", {}, el("h1", {}, title), _run_list(runs)),
        el("form", {"class": "filters", "id": "filters"}, *[_filter(key, episodes) for key in keys]),
        el("p", {"class": "shown", "id": "shown"}, f"{len(episodes)} episodes"),
        _episode_table(episodes, show_run=len(runs) > 1),
    ], body_class="index")


def _run_list(runs: Sequence[Run]) -> Html:
    """Each run's id and folder (the run filter names runs by folder: two folders may hold one run id)."""
    return el("ul", {"class": "runs"}, *[el("li", {}, el("strong", {}, run.run_id), f": {len(run.episodes)} episodes",
                                             f" (folder {run.slug})" if run.slug != run.run_id else None)
                                          for run in runs])


def _filter(key: str, episodes: Sequence[Episode]) -> Html:
    values = sorted({filter_values(e)[key] for e in episodes}, key=_natural)
    options = [el("option", {"value": ""}, "all"), *[el("option", {"value": v}, v) for v in values]]
    return el("label", {}, f"{key} ", el("select", {"name": key, "data-filter": key}, *options))


def _natural(value: str) -> tuple[int, int | str]:
    """Budgets sort as numbers (2 before 15), everything else as text."""
    return (0, int(value)) if value.isdigit() else (1, value)


_COLUMNS = ("episode", "domain", "task", "agent", "budget", "repeat", "status", "score", "steps", "input tokens",
            "output tokens", "cost", "seconds")


def _episode_table(episodes: Sequence[Episode], show_run: bool) -> Html:
    columns = ("run", *_COLUMNS) if show_run else _COLUMNS
    head = el("thead", {}, el("tr", {}, *[el("th", {"data-column": n, "title": "sort"}, name)
                                          for n, name in enumerate(columns)]))
    return el("table", {"class": "episodes", "id": "episodes"}, head,
              el("tbody", {}, *[_episode_row(e, show_run) for e in episodes]))


def _episode_row(episode: Episode, show_run: bool) -> Html:
    r = episode.record
    link = el("a", {"href": episode.page}, r.episode_id)
    note = el("span", {"class": "note"}, f" checkpoint of {r.derived_from}") if r.derived_from else None
    cells = [
        _cell(join([link, note]), r.episode_id), _cell(r.domain), _cell(r.task_id), _cell(episode.agent_label),
        _cell(r.budget, r.budget), _cell(r.repeat, r.repeat), _cell(_badge(r.status), r.status),
        _cell(_score(r.score), -1 if r.score is None else r.score), _cell(r.steps_used, r.steps_used),
        _cell(_int(r.usage.input_tokens), r.usage.input_tokens), _cell(_int(r.usage.output_tokens),
                                                                       r.usage.output_tokens),
        _cell(_cost(r.usage.cost_usd), r.usage.cost_usd), _cell(f"{r.timings.total:.1f}", r.timings.total),
    ]
    if show_run:
        cells.insert(0, _cell(episode.run_slug))
    data = {f"data-{key}": value for key, value in filter_values(episode).items()}
    return el("tr", data, *cells)


def _cell(content: Child, sort: str | int | float | None = None) -> Html:
    """A cell; ``data-sort`` holds the raw value so numbers sort as numbers in the browser."""
    numeric = isinstance(sort, (int, float))
    return el("td", {"class": "num" if numeric else None, "data-sort": sort if numeric else None}, content)


# ---- one episode -----------------------------------------------------------------------------------------------


def episode_page(episode: Episode, previous: Episode | None, following: Episode | None,
                 main: Episode | None) -> Html:
    """``main`` is the episode a checkpoint record derives from (for the link), when it is in the site."""
    r = episode.record
    root = "../../"
    return page(f"{r.episode_id} ({r.status})", root, [
        _episode_nav(root, previous, following),
        el("header", {}, el("h1", {}, r.episode_id), el("p", {"class": "sub"}, _subtitle(episode))),
        _verdict(episode, root, main),
        _timeline(episode, root),
        _scored_screen(episode, root),
    ], body_class="episode")


def _episode_nav(root: str, previous: Episode | None, following: Episode | None) -> Html:
    def link(target: Episode | None, label: str, rel: str) -> Html:
        if target is None:
            return el("span", {"class": "disabled"}, label)
        return el("a", {"href": root + target.page, "rel": rel, "data-key": rel}, label)

    return el("nav", {"class": "top"}, el("a", {"href": root + "index.html", "data-key": "index"}, "all episodes"),
              link(previous, "previous episode", "prev"), link(following, "next episode", "next"),
              el("span", {"class": "keys"}, "keys: j/k turn, n/p episode, i index, o marks on/off"))


def _subtitle(episode: Episode) -> str:
    r = episode.record
    return (f"run {r.run_id} · task {r.domain}/{r.task_id} · agent {episode.agent_label} · budget {r.budget} · "
            f"repeat {r.repeat} · attempt {r.attempt}")


def _verdict(episode: Episode, root: str, main: Episode | None) -> Html:
    r = episode.record
    rows: list[tuple[str, Child]] = [
        ("status", _badge(r.status)), ("score", _score(r.score)),
        ("steps", f"{r.steps_used} of {r.budget}" + (f", ended with {r.last_control}" if r.last_control else "")),
        ("tokens", _usage_text(r.usage.model_dump())), ("seconds", _timings(r)),
    ]
    if r.derived_from:
        target: Child = el("a", {"href": root + main.page}, r.derived_from) if main else r.derived_from
        rows.append(("derived from", join([target, " (prefix sweep: this budget is scored from that episode)"])))
    return el("section", {"class": "verdict"}, el("h2", {}, "verdict"), _definitions(rows),
              el("pre", {"class": "error"}, r.error) if r.error else None,
              _attempts(episode.earlier), _checker(episode.checker))


def _definitions(rows: Iterable[tuple[str, Child]]) -> Html:
    return el("dl", {}, *[join([el("dt", {}, k), el("dd", {}, v)]) for k, v in rows])


def _timings(r: EpisodeResult) -> str:
    t = r.timings
    return (f"{t.total:.1f} total: start {t.env_start:.1f}, setup {t.setup:.1f}, agent {t.agent:.1f} "
            f"(thinking {t.agent_think:.1f}, environment {t.agent_env:.1f}), scoring {t.evaluation:.1f}")


def _attempts(earlier: Sequence[EpisodeResult]) -> Html | None:
    if not earlier:
        return None
    items = [el("li", {}, f"attempt {a.attempt}: {a.status}" + (f": {a.error}" if a.error else "")) for a in earlier]
    return el("div", {"class": "attempts"}, el("h3", {}, "earlier attempts (not counted)"), el("ul", {}, *items))


def _checker(checker: dict[str, Any]) -> Html:
    outcomes = checker.get("outcomes")
    table = _outcomes(outcomes) if isinstance(outcomes, list) and outcomes else None
    raw = el("details", {}, el("summary", {}, "checker output"),
             el("pre", {}, json.dumps(checker, indent=1, default=str)))
    note = checker.get("note")
    said = el("p", {"class": "note"}, note) if isinstance(note, str) and note else None
    return el("div", {"class": "checker"}, el("h3", {}, "checker"), said, table, raw)


def _outcomes(outcomes: list[Any]) -> Html:
    head = el("tr", {}, *[el("th", {}, name) for name in ("metric", "score", "result", "expected")])
    rows = [el("tr", {}, el("td", {}, str(o.get("metric", ""))), el("td", {"class": "num"}, _score(o.get("score"))),
               el("td", {}, el("pre", {}, _text(o.get("result")))), el("td", {}, el("pre", {}, _text(o.get("expected")))))
            for o in outcomes if isinstance(o, dict)]
    return el("table", {"class": "outcomes"}, el("thead", {}, head), el("tbody", {}, *rows))


def _timeline(episode: Episode, root: str) -> Html:
    if episode.trajectory is None:
        return el("section", {"class": "timeline"}, el("h2", {}, "timeline"),
                  el("p", {"class": "empty"}, "no trajectory was recorded for this episode"))
    steps = [_step(step, f"{root}{episode.shots}/") for step in episode.steps]
    count = len(episode.steps)
    damaged = el("pre", {"class": "error"}, f"the trajectory cannot be read: {episode.unreadable}") \
        if episode.unreadable else None
    return el("section", {"class": "timeline"}, el("h2", {}, f"timeline ({count} turn{'' if count == 1 else 's'})"),
              damaged, *(steps or [el("p", {"class": "empty"}, "no turns")]))


def _step(step: Step, shots: str) -> Html:
    header = el("h3", {}, f"turn {step.index + 1}", el("span", {"class": "cost"}, _step_cost(step)))
    return el("article", {"class": "step", "id": f"step-{step.index}", "data-step": step.index}, header,
              el("div", {"class": "columns"}, _picture(step, shots),
                 el("div", {"class": "said"}, _model_text(step), _actions(step), _policy(step.policy),
                    _calls(step.calls), _other(step.other))))


def _step_cost(step: Step) -> str:
    at = f" · at {datetime.fromtimestamp(step.time, UTC):%Y-%m-%d %H:%M:%S} UTC" if step.time else ""
    return (f"thinking {step.think_seconds:.2f} s · environment {step.env_seconds:.2f} s · "
            f"{_usage_text(step.usage)}{at}")


def _policy(verdicts: list[dict[str, str]]) -> Html | None:
    """The confirmation policy's verdicts this turn: which rule stopped or let through which action."""
    if not verdicts:
        return None
    items = [el("li", {}, f"{v.get('verdict', '?')}: {v.get('action', '')} (rule {v.get('rule', '?')}, "
                          f"{v.get('decision', '?')})") for v in verdicts]
    return el("div", {"class": "policy"}, el("h4", {}, "confirmation policy"), el("ul", {}, *items))


def _calls(calls: list[ModelCall]) -> Html | None:
    """One row per model request of the turn, with every field the agent recorded (provider extras included)."""
    if not calls:
        return None
    head = el("tr", {}, *[el("th", {}, name) for name in ("model", "request id", "stop", "tokens in/out", "cost",
                                                        "latency s", "retries")])
    rows = [el("tr", {}, el("td", {}, c.model or ""), el("td", {}, c.request_id or ""), el("td", {}, c.stop_reason or ""),
               el("td", {"class": "num"}, f"{c.input_tokens:,}/{c.output_tokens:,}"),
               el("td", {"class": "num"}, _cost(c.cost_usd)),
               el("td", {"class": "num"}, "-" if c.latency_s is None else f"{c.latency_s:.2f}"),
               el("td", {"class": "num"}, f"{c.retries} ({c.retried_s:.1f} s)" if c.retries else "0"))
            for c in calls]
    raw = el("details", {}, el("summary", {}, "as recorded"),
             el("pre", {}, json.dumps([c.model_dump(mode="json") for c in calls], indent=1, default=str)))
    return el("div", {"class": "calls"}, el("h4", {}, f"model calls ({len(calls)})"),
              el("table", {"class": "calls"}, el("thead", {}, head), el("tbody", {}, *rows)), raw)


def _other(fields: dict[str, Any]) -> Html | None:
    """Fields of the step record this viewer has no place for (a newer writer's, an agent's own), as recorded."""
    if not fields:
        return None
    return el("details", {"class": "other"}, el("summary", {}, "other recorded fields"),
              el("pre", {}, json.dumps(fields, indent=1, default=str)))


def _picture(step: Step, shots: str) -> Html:
    """The screenshot the agent saw, with the turn's actions on it; the image links to the full-size file."""
    if step.screenshot is None:
        return el("div", {"class": "shot missing"}, "no screenshot kept for this turn")
    marks = overlay(step.actions, step.screen) if step.screen else None
    image = el("img", {"src": shots + step.screenshot, "alt": f"the screen at turn {step.index + 1}",
                       "loading": "lazy", "width": step.screen[0] if step.screen else None,
                       "height": step.screen[1] if step.screen else None})
    return el("div", {"class": "shot"}, el("a", {"href": shots + step.screenshot, "class": "frame"}, image, marks))


def _model_text(step: Step) -> Html | None:
    if not step.text:
        return None
    return el("div", {"class": "model"}, el("h4", {}, "model"), el("pre", {"class": "model-text"}, step.text))


def _actions(step: Step) -> Html:
    items = [_action(n, action, result) for n, (action, result)
             in enumerate(zip_longest(step.actions, step.results), 1)]
    if step.control:
        items.append(el("li", {"class": "control"}, el("strong", {}, step.control)))
    body = el("ol", {"class": "actions"}, *items) if items else el("p", {"class": "empty"}, "no action")
    return el("div", {"class": "acts"}, el("h4", {}, "actions"), body)


def _action(number: int, action: dict[str, Any] | str | None, result: dict[str, Any] | None) -> Html:
    said = caption(action) if action is not None else None
    line = el("span", {"class": "line"}, said.line) if said else el("span", {"class": "line"}, "(no action)")
    detail = el("pre", {"class": "detail"}, said.detail) if said and said.detail is not None else None
    return el("li", {"value": number}, line, detail, _result(result))


def _result(result: dict[str, Any] | None) -> Html | None:
    if result is None:
        return None
    parts = [_output("error", result.get("error")), _output("output", result.get("output")),
             el("div", {"class": "result shot-note"}, "returned a screenshot (shown as the next turn's screen)")
             if result.get("screenshot") is True else None]
    return join(parts) if any(parts) else None


def _output(kind: str, value: Any) -> Html | None:
    if value is None or value == "":
        return None
    text = str(value)
    block = el("pre", {"class": kind}, text)
    if len(text) <= LONG_TEXT:
        return el("div", {"class": f"result {kind}"}, el("span", {"class": "tag"}, kind), block)
    return el("details", {"class": f"result {kind}"}, el("summary", {}, f"{kind} ({len(text)} characters)"), block)


def _scored_screen(episode: Episode, root: str) -> Html | None:
    shot = episode.scored_screen
    if shot is None:
        return None
    src = f"{root}{episode.shots}/{shot.file}"
    return el("section", {"class": "final"}, el("h2", {}, "scored screen"), el("p", {}, shot.caption),
              el("a", {"href": src}, el("img", {"src": src, "alt": shot.caption})))


# ---- small formats ---------------------------------------------------------------------------------------------


def _badge(status: str) -> Html:
    return el("span", {"class": f"badge {status}"}, status)


def _score(score: Any) -> str:
    return "-" if not isinstance(score, (int, float)) else f"{score:g}"


def _int(value: int) -> str:
    return f"{value:,}"


def _cost(value: float) -> str:
    return f"${value:.4f}" if value else "-"


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)


def _usage_text(usage: dict[str, Any]) -> str:
    def n(key: str) -> int:
        value = usage.get(key, 0)
        return value if isinstance(value, int) else 0

    cost = usage.get("cost_usd", 0.0)
    text = f"{n('input_tokens'):,} in · {n('output_tokens'):,} out"
    if n("cache_write_tokens") or n("cache_read_tokens"):
        text += f" · cache {n('cache_write_tokens'):,} written, {n('cache_read_tokens'):,} read"
    if n("calls") > 1:
        text += f" · {n('calls')} model calls"
    if n("retries"):
        seconds = usage.get("retried_seconds", 0.0)
        text += f" · {n('retries')} retried" + (f" ({seconds:.1f} s lost)" if isinstance(seconds, (int, float)) else "")
    return text + (f" · ${cost:.4f}" if isinstance(cost, (int, float)) and cost else "")
