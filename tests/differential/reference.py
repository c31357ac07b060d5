"""OSWorld's own metric functions (the ``desktop-env`` distribution), loaded without its heavy dependencies.

``desktop_env.evaluators.metrics/__init__`` imports every metric module, and
those import torch, easyocr, OpenCV, PyMuPDF and more at top level.  The
differential test needs only the functions it compares, so this module
registers the package folders by hand (their ``__init__`` never runs) and
answers imports of the heavy, absent libraries with stand-in modules.  A
compared function that really uses a stand-in raises ``MissingReferenceDependency``,
which the runner records as an error on the reference side: never a silent score.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Libraries the metric modules import at top level that deskbench neither needs nor installs.
HEAVY = frozenset({
    "torch", "easyocr", "librosa", "cv2", "skimage", "fitz", "borb", "formulas", "odf", "acoustid",
    "fastdtw", "PyPDF2", "pypdf",
})

# deskbench metric name -> (reference module, function name) when the names differ; others are looked up by name.
MODULES = ("basic_os", "chrome", "docs", "general", "gimp", "libreoffice", "others", "pdf", "slides", "table",
           "thunderbird", "vlc", "vscode")


class MissingReferenceDependency(RuntimeError):
    """The reference function reached a library that the test harness stands in for."""


class _Stand(types.ModuleType):
    """A module (and everything reached through it) that raises as soon as it is used."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__path__: list[str] = []

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _StandValue(f"{self.__name__}.{attr}")


class _StandValue:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> _StandValue:
        return _StandValue(f"{self._name}.{attr}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise MissingReferenceDependency(f"{self._name} is not installed for the reference checkers")

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (object,)


class _StandFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] not in HEAVY:
            return None
        if importlib.machinery.PathFinder.find_spec(fullname.split(".")[0]) is not None:
            return None  # really installed: use it
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _Stand(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _register_package(name: str, folder: Path) -> None:
    if name in sys.modules:
        return
    module = types.ModuleType(name)
    module.__path__ = [str(folder)]
    sys.modules[name] = module


_loaded: dict[str, Callable[..., Any]] = {}


def _load() -> dict[str, Callable[..., Any]]:
    if _loaded:
        return _loaded
    spec = importlib.util.find_spec("desktop_env")
    if spec is None or spec.origin is None:
        raise RuntimeError("desktop-env is not installed: scripts/install.sh installs it for the tests")
    root = Path(spec.origin).parent
    _register_package("desktop_env", root)
    _register_package("desktop_env.evaluators", root / "evaluators")
    _register_package("desktop_env.evaluators.metrics", root / "evaluators" / "metrics")
    finder = _StandFinder()
    sys.meta_path.append(finder)
    try:
        for name in MODULES:
            with warnings.catch_warnings():  # PyMuPDF's "fitz" name is deprecated: not ours to fix
                warnings.simplefilter("ignore", FutureWarning)
                module = importlib.import_module(f"desktop_env.evaluators.metrics.{name}")
            for attr, value in vars(module).items():
                if callable(value) and getattr(value, "__module__", "") == module.__name__ and not attr.startswith("_"):
                    _loaded.setdefault(attr, value)
    finally:
        # Stand-ins only while the reference modules import: pandas and others probe for optional
        # libraries (odfpy...) later, and must not find a stand-in.
        sys.meta_path.remove(finder)
        for name in [m for m in sys.modules if isinstance(sys.modules[m], _Stand)]:
            del sys.modules[name]
    return _loaded


def reference_metric(name: str) -> Callable[..., Any]:
    """OSWorld's function for metric ``name``; KeyError when the reference has none."""
    return _load()[name]


def reference_names() -> set[str]:
    return set(_load())
