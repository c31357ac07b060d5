"""The store sits at the bottom: nothing in ``harness.store`` reaches the sandbox, the agents or the runner.

Checked twice: statically, by following every ``import`` the store's modules
(and whatever they import inside ``harness``) write, wherever in the file it
is; and at run time, by importing every store module in a fresh interpreter
and looking at what got loaded.  Reports, notebooks and a cluster's driver
read run folders through the store without Docker.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import harness

ROOT = Path(harness.__file__).parent
FORBIDDEN = ("harness.sandbox", "harness.agents", "harness.runner")
FORBIDDEN_THIRD_PARTY = ("docker",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """Every module ``name`` imports (absolute names; ``from a import b`` gives ``a`` and ``a.b`` if a module)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(_without_type_checking(tree)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: relative import"
            base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return found


def _without_type_checking(tree: ast.Module) -> ast.Module:
    """The module without its ``if TYPE_CHECKING:`` blocks: imports only the type checker runs."""
    class Drop(ast.NodeTransformer):
        def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt]:
            test = node.test
            if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                    isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
                return node.orelse
            self.generic_visit(node)
            return node

    return Drop().visit(tree)  # type: ignore[no-any-return]


def with_packages(name: str) -> set[str]:
    """A module and the packages Python imports first to reach it (their ``__init__`` run too)."""
    parts = name.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts) + 1)}


def closure(start: set[str]) -> dict[str, str]:
    """Every module reachable from ``start`` by imports, each with the harness module that imports it."""
    seen: dict[str, str] = {}
    todo = [(m, "(start)") for m in start]
    while todo:
        name, by = todo.pop()
        for reached in with_packages(name):
            if reached in seen:
                continue
            seen[reached] = by
            if reached in MODULES:
                todo.extend((m, reached) for m in imports_of(reached))
    return seen


STORE = {name for name in MODULES if name == "harness.store" or name.startswith("harness.store.")}


def test_the_store_imports_nothing_above_it_statically() -> None:
    reached = closure(STORE)
    bad = {name: by for name, by in reached.items()
           if name.startswith(FORBIDDEN) or name.split(".")[0] in FORBIDDEN_THIRD_PARTY}
    assert not bad, "the store reaches above itself: " + ", ".join(f"{m} (imported by {b})" for m, b in bad.items())


def test_the_closure_follows_imports_it_is_given() -> None:
    """The checker itself: starting from the runner, it does reach the sandbox (so an empty answer means something)."""
    reached = closure({"harness.runner.episode"})
    assert "harness.sandbox.container" in reached and "docker" in reached


def test_importing_every_store_module_loads_no_sandbox_agent_runner_or_docker() -> None:
    code = ("import importlib, sys\n"
            f"for name in {sorted(STORE)!r}: importlib.import_module(name)\n"
            "print('\\n'.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "harness.store.trajectory" in loaded
    bad = [m for m in loaded if m.startswith(FORBIDDEN) or m.split(".")[0] in FORBIDDEN_THIRD_PARTY]
    assert not bad, f"importing the store loaded {bad}"
