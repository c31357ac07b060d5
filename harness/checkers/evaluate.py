"""Score a final desktop: postconfig is run by the caller, then getters, then metrics, combined by ``conj``.

Semantics follow OSWorld: with several metrics, ``and`` gives 0 as soon as one
gives 0, else the mean; ``or`` gives 1 as soon as one gives 1, else the max.
``infeasible`` scores 1 only when the agent ended with FAIL; any other task
that the agent ended with FAIL scores 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.checkers.context import EvalContext
from harness.checkers.limits import run_metric
from harness.checkers.registry import get_getter, get_metric
from harness.checkers.semantics import DEFAULT, ReferenceCrash, Semantics, bound, current, scoring_under
from harness.errors import CheckerError, DeskbenchError, GuestError
from harness.sandbox.guest import UnscorableOutput
from harness.tasks.schema import Evaluator, Getter


@dataclass
class MetricOutcome:
    metric: str
    score: float
    result: Any = None
    expected: Any = None
    note: str = ""  # why the score is what it is when a rule decided it (e.g. the reference checker crashes here)


@dataclass
class Verdict:
    """The score and how each metric got there (stored with the episode)."""

    score: float
    outcomes: list[MetricOutcome] = field(default_factory=list)
    note: str = ""


def _nth(value: Any, i: int, n: int) -> Any:
    """The i-th of parallel lists; a single value serves a single metric."""
    if isinstance(value, list) and n > 1:
        return value[i] if i < len(value) else None
    if isinstance(value, list) and n == 1 and value and isinstance(value[0], Getter):
        return value[0]
    return value


def _fetch(ctx: EvalContext, spec: Getter | None) -> Any:
    if spec is None:
        return None
    fn = get_getter(spec.type)
    try:
        return fn(ctx, spec)
    except UnscorableOutput:  # the desktop's file itself is the problem: the runner scores it
        raise
    except GuestError as exc:
        raise CheckerError(f"getter {spec.type}: {exc}") from None
    except DeskbenchError:
        raise
    except Exception as exc:
        raise CheckerError(f"getter {spec.type} raised {type(exc).__name__}: {exc}") from None


def _apply(name: str, result: Any, expected: Any, options: dict[str, Any] | None) -> tuple[float, str]:
    """The metric's score, and a note when it is 0 because OSWorld's own checker crashes on this input."""
    fn = get_metric(name)
    try:
        score = run_metric(bound(fn), result, expected, options or {})  # memory, CPU and time limits (limits.py)
    except ReferenceCrash as exc:  # osworld semantics: what a published run scored, with the reason kept
        return 0.0, f"scored 0 as OSWorld does: {exc}"
    except CheckerError:
        raise
    except TypeError as exc:
        raise CheckerError(f"metric {name}: bad options {sorted((options or {}).keys())}: {exc}") from None
    except Exception as exc:
        raise CheckerError(f"metric {name} raised {type(exc).__name__}: {exc}") from None
    if not isinstance(score, (int, float)) or not 0.0 <= float(score) <= 1.0:
        raise CheckerError(f"metric {name} returned {score!r}, not a number in [0, 1]")
    return float(score), ""


def score_metric(name: str, result: Any, expected: Any, options: dict[str, Any] | None,
                 semantics: Semantics = DEFAULT) -> float:
    """One metric on values already fetched, under ``semantics`` (the differential test's entry point)."""
    with scoring_under(semantics):
        return _apply(name, result, expected, options)[0]


def evaluate(evaluator: Evaluator, ctx: EvalContext) -> Verdict:
    """Score the current desktop state for ``evaluator``; CheckerError when it cannot be scored."""
    with scoring_under(ctx.semantics or current()):
        return _evaluate(evaluator, ctx)


def _evaluate(evaluator: Evaluator, ctx: EvalContext) -> Verdict:
    if evaluator.is_infeasible:
        return Verdict(float(ctx.last_control == "FAIL"), note="infeasible: scores 1 only when the agent said FAIL")
    if ctx.last_control == "FAIL":
        return Verdict(0.0, note="the agent said FAIL on a feasible task")
    names = evaluator.funcs
    for name in names:
        get_metric(name)  # an unknown metric fails before any getter runs
    n = len(names)
    outcomes: list[MetricOutcome] = []
    for i, name in enumerate(names):
        result = _fetch(ctx, _nth(evaluator.result, i, n))
        expected = _fetch(ctx, _nth(evaluator.expected, i, n))
        options = _nth(evaluator.options, i, n)
        score, note = _apply(name, result, expected, options)
        outcomes.append(MetricOutcome(name, score, _short(result), _short(expected), note))
        if evaluator.conj == "and" and score == 0.0:
            return Verdict(0.0, outcomes)
        if evaluator.conj == "or" and score == 1.0:
            return Verdict(1.0, outcomes)
    scores = [o.score for o in outcomes]
    return Verdict(sum(scores) / n if evaluator.conj == "and" else max(scores), outcomes)


def _short(value: Any) -> Any:
    """Keep stored checker output small and JSON-friendly."""
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 500 else text[:500] + "..."
