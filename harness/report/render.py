"""Tables as text: rich (terminal), Markdown, CSV and LaTeX, from the DataFrames of ``tables``/``resources``/``compare``.

CSV keeps the raw numbers (for a program to read); the other formats are for
people and papers, so rates become percentages with their interval in one
column, seconds and dollars get sensible decimals and a missing value
shows as ``-``.  How a column is shown follows from its name, so a new table
needs no new code here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from rich.table import Table

MISSING = "-"
RATES = frozenset({"success_rate", "success_floor", "pass_at_1", "pass_at_k", "pass_hat_k", "rate_a", "rate_b", "violation_rate"})
SIGNED_RATES = frozenset({"difference"})
LABELS = {"run_id": "run", "success_rate": "success", "success_floor": "success, unscored = failed", "mean_steps": "mean steps", "pass_at_1": "pass@1",
          "pass_at_k": "pass@k", "pass_hat_k": "pass^k", "tasks_short": "tasks < k", "mcnemar_p": "McNemar p",
          "usd_per_episode": "$/episode", "usd_per_success": "$/success", "usd_total": "$ total",
          "tokens_total": "tokens total", "only_a": "only A", "only_b": "only B", "rate_a": "A", "rate_b": "B",
          "successes_a": "successes A", "successes_b": "successes B", "unpaired_a": "unpaired A",
          "unpaired_b": "unpaired B", "difference": "A - B", "input_per_episode": "input/ep",
          "output_per_episode": "output/ep", "cache_write_per_episode": "cache w/ep",
          "cache_read_per_episode": "cache r/ep", "violation_rate": "violated %"}
#: status columns people need not see when zero: the table's ``summary`` names every status that occurred
HIDDEN_WHEN_ZERO = frozenset({"setup_error", "checker_error", "infra_error", "agent_error", "timeout",
                              "needs_network", "needs_account", "harness_error", "invalid"})
CI = "95% CI"
EMPHASISED = {"domain": "overall", "budget": "all"}  # rows that total the ones above them


@dataclass(frozen=True)
class Section:
    """One table of a report: a name (CSV file name), a title, the data and a note shown under the title."""

    name: str
    title: str
    table: pd.DataFrame
    note: str = ""


def shown_columns(table: pd.DataFrame) -> list[str]:
    """The raw columns people see: the model goes with the agent, all-zero error counts are left out."""
    return [name for name in table.columns if name != "model" and not (
        name in HIDDEN_WHEN_ZERO and pd.api.types.is_numeric_dtype(table[name]) and not table[name].any())]


def display_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text for people: ``agent (model)`` in one column, the interval bounds in one ``95% CI``."""
    signed = "difference" in table
    columns: dict[str, list[str]] = {}
    for name in shown_columns(table):
        if name == "agent" and "model" in table:
            columns[label(name)] = [_agent(agent, model) for agent, model in
                                    zip(table["agent"], table["model"], strict=True)]
            continue
        if name == "ci_high":
            continue
        if name == "ci_low" and "ci_high" in table:
            columns[CI] = [_interval(low, high, signed) for low, high in
                           zip(table["ci_low"], table["ci_high"], strict=True)]
            continue
        columns[label(name)] = [_formatter(name)(value) for value in table[name]]
    return pd.DataFrame(columns, index=range(len(table)))


def _agent(agent: object, model: object) -> str:
    return str(agent) if _missing(model) or model == "-" else f"{agent} ({model})"


def label(name: str) -> str:
    """A column's heading for people."""
    return LABELS.get(name, name.replace("_per_", "/").replace("_", " "))


def _formatter(name: str) -> Callable[[object], str]:
    if name in RATES:
        return lambda v: _percent(v, signed=False)
    if name in SIGNED_RATES:
        return lambda v: _percent(v, signed=True)
    if name.endswith(("_p50", "_p95")):
        return lambda v: _number(v, "{:.3f}")
    if name.startswith("usd_"):
        return _dollars
    if name == "mcnemar_p":
        return lambda v: _number(v, "{:.4g}")
    if name.endswith("_per_episode") or name == "tokens_total":
        return lambda v: _number(v, "{:,.0f}")
    if name == "mean_steps":
        return lambda v: _number(v, "{:.1f}")
    return _plain


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _percent(value: object, signed: bool) -> str:
    if _missing(value):
        return MISSING
    return f"{100 * float(str(value)):{'+' if signed else ''}.1f}%"


def _interval(low: object, high: object, signed: bool) -> str:
    if _missing(low) or _missing(high):
        return MISSING
    return f"[{_percent(low, signed)}, {_percent(high, signed)}]"


def _number(value: object, pattern: str) -> str:
    return MISSING if _missing(value) else pattern.format(float(str(value)))


def _dollars(value: object) -> str:
    if _missing(value):
        return MISSING
    amount = float(str(value))
    return f"${amount:.2f}" if abs(amount) >= 1 else f"${amount:.4f}"


def _plain(value: object) -> str:
    if _missing(value):
        return MISSING
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _right_aligned(table: pd.DataFrame) -> list[bool]:
    """Per display column, whether it holds numbers (right-aligned) -- the interval column does."""
    out = []
    for name in shown_columns(table):
        if name == "ci_high":
            continue
        numeric = pd.api.types.is_numeric_dtype(table[name]) or name == "budget"
        out.append(bool(numeric) or name == "ci_low")
    return out


def _emphasised(table: pd.DataFrame) -> list[bool]:
    marks = [False] * len(table)
    for column, value in EMPHASISED.items():
        if column in table:
            marks = [m or str(v) == value for m, v in zip(marks, table[column], strict=True)]
    return marks


def rich_tables(sections: Sequence[Section]) -> list[Table | str]:
    """Rich tables for the terminal, a section without rows shown by its note alone."""
    out: list[Table | str] = []
    for section in sections:
        if section.table.empty:
            out.append(f"{section.title}: {section.note or 'nothing to show'}")
            continue
        shown = display_frame(section.table)
        view = Table(title=section.title, caption=section.note or None)
        for name, right in zip(shown.columns, _right_aligned(section.table), strict=True):
            view.add_column(name, justify="right" if right else "left")
        for row, bold in zip(shown.itertuples(index=False), _emphasised(section.table), strict=True):
            view.add_row(*row, style="bold" if bold else None)
        out.append(view)
    return out


def markdown(sections: Sequence[Section]) -> str:
    """GitHub-flavoured Markdown: a heading, the note and a pipe table per section."""
    parts = []
    for section in sections:
        lines = [f"### {section.title}", ""]
        if section.note:
            lines += [section.note, ""]
        if not section.table.empty:
            lines += _markdown_table(section.table)
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _markdown_table(table: pd.DataFrame) -> list[str]:
    shown = display_frame(table)
    rule = ["---:" if right else "---" for right in _right_aligned(table)]
    rows = [[_markdown_cell(h) for h in shown.columns], rule,
            *[[_markdown_cell(v) for v in row] for row in shown.itertuples(index=False)]]
    return ["| " + " | ".join(row) + " |" for row in rows]


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def csv_text(table: pd.DataFrame) -> str:
    """One table as CSV with the raw values (rates as fractions, NaN as an empty field)."""
    return str(table.to_csv(index=False, lineterminator="\n"))


def latex(sections: Sequence[Section]) -> str:
    """A ``tabular`` per section (booktabs rules: ``\\usepackage{booktabs}``), its title as a comment."""
    parts = []
    for section in sections:
        lines = [f"% {section.title}"] + ([f"% {section.note}"] if section.note else [])
        if not section.table.empty:
            lines += _latex_table(section.table)
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _latex_table(table: pd.DataFrame) -> list[str]:
    shown = display_frame(table)
    spec = "".join("r" if right else "l" for right in _right_aligned(table))
    header = " & ".join(latex_escape(h) for h in shown.columns) + r" \\"
    body = [" & ".join(latex_escape(v) for v in row) + r" \\" for row in shown.itertuples(index=False)]
    return [f"\\begin{{tabular}}{{{spec}}}", r"\toprule", header, r"\midrule", *body, r"\bottomrule",
            r"\end{tabular}"]


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters made literal (task ids have underscores, rates have %)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
