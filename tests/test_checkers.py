"""Metrics and the evaluator's combination rules, on small real files; getters in a real desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.checkers import METRICS, EvalContext, evaluate, metric
from harness.checkers.metrics import check_include_exclude, compare_text_file, exact_match
from harness.errors import CheckerError
from harness.tasks.schema import Evaluator


def test_exact_match() -> None:
    assert exact_match("3", {"expected": "3"}) == 1.0
    assert exact_match("3\n", {"expected": "3"}) == 0.0
    with pytest.raises(CheckerError, match="'expected'"):
        exact_match("3", {"wrong": "3"})


def test_check_include_exclude() -> None:
    rules = {"include": ["alpha", "beta"], "exclude": ["gamma"]}
    assert check_include_exclude("alpha beta", rules) == 1.0
    assert check_include_exclude("alpha", rules) == 0.0
    assert check_include_exclude("alpha beta gamma", rules) == 0.0
    assert check_include_exclude(None, rules) == 0.0
    with pytest.raises(CheckerError):
        check_include_exclude("x", {"include": "alpha"})


def test_compare_text_file(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    a.write_text("Hello  World\n")
    b.write_text("hello world")
    c.write_text("Hello  World\n")
    assert compare_text_file(str(a), str(c)) == 1.0
    assert compare_text_file(str(a), str(b)) == 0.0
    assert compare_text_file(str(a), str(b), ignore_blanks=True) == 0.0
    assert compare_text_file(str(a), str(b), ignore_blanks=True, ignore_case=True) == 1.0
    assert compare_text_file(None, str(b)) == 0.0
    with pytest.raises(CheckerError, match="expected file is missing"):
        compare_text_file(str(a), None)


class _NoGuest:
    """Evaluations below use only the ``rule`` getter, which never touches the desktop."""


def _ctx(last: str | None = None) -> EvalContext:
    from harness.tasks.schema import Task

    task = Task(id="t", instruction="i", evaluator=Evaluator(func="infeasible"))
    return EvalContext(guest=_NoGuest(), task=task, cache_dir=Path("/nonexistent"), last_control=last)  # type: ignore[arg-type]


@metric("_test_constant")
def _constant(result: Any, expected: Any, value: float = 0.5) -> float:
    return value


def _ev(funcs: list[str], conj: str, values: list[float]) -> Evaluator:
    return Evaluator.model_validate({
        "func": funcs, "conj": conj,
        "result": [{"type": "rule", "rules": {}} for _ in funcs],
        "expected": [{"type": "rule", "rules": {}} for _ in funcs],
        "options": [{"value": v} for v in values]})


@pytest.mark.parametrize("conj,values,score", [
    ("and", [1.0, 0.5], 0.75), ("and", [1.0, 0.0], 0.0), ("and", [0.0, 1.0], 0.0),
    ("or", [0.0, 0.5], 0.5), ("or", [0.2, 1.0], 1.0), ("or", [1.0, 0.0], 1.0),
])
def test_conj_semantics(conj: str, values: list[float], score: float) -> None:
    verdict = evaluate(_ev(["_test_constant"] * len(values), conj, values), _ctx())
    assert verdict.score == pytest.approx(score)


def test_and_stops_at_first_zero() -> None:
    verdict = evaluate(_ev(["_test_constant"] * 3, "and", [0.0, 1.0, 1.0]), _ctx())
    assert len(verdict.outcomes) == 1


def test_infeasible_scores_only_fail() -> None:
    ev = Evaluator(func="infeasible")
    assert evaluate(ev, _ctx("FAIL")).score == 1.0
    assert evaluate(ev, _ctx("DONE")).score == 0.0
    assert evaluate(ev, _ctx(None)).score == 0.0


def test_fail_on_a_feasible_task_scores_zero() -> None:
    assert evaluate(_ev(["_test_constant"], "and", [1.0]), _ctx("FAIL")).score == 0.0


def test_unknown_metric_and_bad_options_are_checker_errors() -> None:
    with pytest.raises(CheckerError, match="unknown metric 'nope'"):
        evaluate(Evaluator.model_validate({"func": "nope", "result": {"type": "rule", "rules": {}}}), _ctx())
    bad = Evaluator.model_validate({"func": "_test_constant", "result": {"type": "rule", "rules": {}},
                                    "options": {"no_such_option": 1}})
    with pytest.raises(CheckerError, match="bad options"):
        evaluate(bad, _ctx())
    with pytest.raises(CheckerError, match="unknown getter 'nosuch'"):
        evaluate(Evaluator.model_validate({"func": "exact_match", "result": {"type": "nosuch"}}), _ctx())


def test_a_metric_that_raises_or_returns_nonsense_is_a_checker_error() -> None:
    @metric("_test_raises")
    def _raises(result: Any, expected: Any) -> float:
        raise ZeroDivisionError("oops")

    @metric("_test_nonsense")
    def _nonsense(result: Any, expected: Any) -> float:
        return 7.0

    for name, text in (("_test_raises", "raised ZeroDivisionError: oops"), ("_test_nonsense", "not a number in")):
        with pytest.raises(CheckerError, match=text):
            evaluate(Evaluator.model_validate({"func": name, "result": {"type": "rule", "rules": {}}}), _ctx())
    METRICS.pop("_test_raises")
    METRICS.pop("_test_nonsense")
