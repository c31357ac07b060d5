"""notebooks/results.ipynb: valid nbformat v4 with outputs cleared, and it runs on real runs showing their numbers."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat import NotebookNode

from harness import load_results

pytestmark = pytest.mark.docker

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "results.ipynb"
FIGURE_CELLS = ("budget-figure", "cost-figure", "domain-figure", "latency-figure")


def read_notebook() -> NotebookNode:
    notebook: NotebookNode = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    return notebook


def test_notebook_is_valid_and_committed_without_outputs() -> None:
    notebook = read_notebook()
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``python3`` kernelspec running this interpreter (the venv's), in a folder to put first on JUPYTER_PATH.

    A system-wide ``python3`` kernel would otherwise run another Python,
    without deskbench installed.
    """
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(kernel_name="python3", prefix=str(prefix))
    kernel = prefix / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    assert sys.executable in kernel.read_text()
    return prefix / "share" / "jupyter"


@pytest.fixture(scope="module")
def executed(report_runs: dict[str, Path], venv_kernel: Path) -> NotebookNode:
    """The notebook run (as Jupyter would, from its folder) on the three test runs given by DESKBENCH_RUNS."""
    from nbclient import NotebookClient

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(venv_kernel))
        patch.setenv("DESKBENCH_RUNS", ":".join(str(p) for p in report_runs.values()))
        patch.setenv("MPLBACKEND", "Agg")
        notebook = read_notebook()
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return notebook


def cell(notebook: NotebookNode, cell_id: str) -> NotebookNode:
    found: NotebookNode = next(c for c in notebook.cells if c.get("id") == cell_id)
    return found


def output_text(node: NotebookNode) -> str:
    """Everything a cell showed as text: stream output, plain-text and HTML representations."""
    parts = []
    for output in node.outputs:
        parts.append(str(output.get("text", "")))
        data = output.get("data", {})
        parts.extend(str(data.get(kind, "")) for kind in ("text/plain", "text/html", "text/markdown"))
    return "\n".join(parts)


def test_notebook_runs_without_errors(executed: NotebookNode) -> None:
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    assert all(c.execution_count for c in executed.cells if c.cell_type == "code")


def test_notebook_loads_the_given_runs(executed: NotebookNode, report_runs: dict[str, Path]) -> None:
    text = output_text(cell(executed, "runs"))
    expected = len(load_results(*report_runs.values()))
    assert f"{expected} episodes from 3 run(s)" in text
    assert all(str(path) in text for path in report_runs.values())


def overall_rates(frame: pd.DataFrame) -> dict[tuple[str, int], tuple[int, int]]:
    """(run, budget) -> (successes, scored), straight from the episodes."""
    scored = frame[frame["status"].isin(["success", "failure"])]
    grouped = scored.groupby(["run_id", "budget"])["status"]
    return {(str(run), int(budget)): (int((s == "success").sum()), len(s)) for (run, budget), s in grouped}


def test_success_table_shows_the_runs_numbers(executed: NotebookNode, report_runs: dict[str, Path]) -> None:
    text = output_text(cell(executed, "success"))
    rates = overall_rates(load_results(*report_runs.values()))
    assert len(rates) == 5  # oracle and noop at budgets 1 and 15, claude at 15
    for (run, _), (successes, scored) in rates.items():
        assert run in text
        assert f"{100 * successes / scored:.1f}%" in text
    assert "overall" in text and "42.9%" in text  # oracle at budget 1: 6 of 14 (multi-step tasks fail)


def test_other_tables_show_the_runs_numbers(executed: NotebookNode, report_runs: dict[str, Path]) -> None:
    frame = load_results(*report_runs.values())
    oracle = frame[frame["agent"] == "oracle"]
    assert "pass@k" in output_text(cell(executed, "pass-k"))
    assert f"scored {len(oracle) // 2} of {len(oracle) // 2}" in output_text(cell(executed, "status"))
    claude = frame[frame["agent"] == "claude"]
    spent = float(claude["usage.cost_usd"].sum())
    assert spent > 0
    assert f"${spent:.4f}" in output_text(cell(executed, "cost"))
    assert "wall p50" in output_text(cell(executed, "latency"))


def test_notebook_draws_every_figure(executed: NotebookNode) -> None:
    for cell_id in FIGURE_CELLS:
        images = [o for o in cell(executed, cell_id).outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, cell_id
    assert "ci_low" in output_text(cell(executed, "budget-figure"))  # the numbers behind the curve
    assert "pareto" in output_text(cell(executed, "cost-figure"))
