"""How the real OSWorld tasks call each metric: the exact ``options`` and ``expected`` rules, by task.

The differential cases derived from tasks start from these objects, so a
case is scored with the same option and rule values a published run used.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OSWORLD = REPO.parent / "shared" / "osworld"


@dataclass(frozen=True)
class Use:
    """One metric as one task's evaluator calls it."""

    task: str
    domain: str
    result_getter: dict[str, Any] | None
    expected_getter: dict[str, Any] | None
    options: dict[str, Any]

    @property
    def rules(self) -> Any:
        """The ``rules`` of a ``rule`` expected getter: what OSWorld's ``get_rule`` hands the metric."""
        spec = self.expected_getter or {}
        return spec.get("rules") if str(spec.get("type", "")).startswith("rule") else None

    @property
    def has_expected(self) -> bool:
        """OSWorld calls ``metric(result, **options)`` without an expected getter, ``metric(result, expected, ...)`` with."""
        return bool(self.expected_getter)


def _nth(value: Any, i: int, multi: bool) -> Any:
    return value[i] if multi and isinstance(value, list) else value


def load_uses(index: Path = OSWORLD / "test_all.json") -> dict[str, list[Use]]:
    """Metric name -> its uses in the tasks that ``index`` lists (``infeasible`` is not a metric)."""
    if not index.is_file():
        raise FileNotFoundError(f"{index}: OSWorld's task index is not there (shared/osworld beside the repository)")
    uses: dict[str, list[Use]] = defaultdict(list)
    for domain, ids in json.loads(index.read_text()).items():
        for task_id in ids:
            task = json.loads((index.parent / "examples" / domain / f"{task_id}.json").read_text())
            ev = task["evaluator"]
            funcs = ev["func"] if isinstance(ev["func"], list) else [ev["func"]]
            multi = isinstance(ev["func"], list)
            for i, name in enumerate(funcs):
                if name == "infeasible":
                    continue
                uses[name].append(Use(task_id, domain, _nth(ev.get("result"), i, multi),
                                      _nth(ev.get("expected"), i, multi), _nth(ev.get("options"), i, multi) or {}))
    return dict(uses)
