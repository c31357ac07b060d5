"""Write the viewer's static site: pages, the shared script and style, and the screenshots they show.

The folder is self-contained (screenshots are hard-linked when the run is on
the same file system, copied otherwise) so it can be zipped, moved, or opened
from ``file://`` with nothing else.  Layout::

    index.html                              the episodes, with filters
    assets/viewer.css, assets/viewer.js
    runs/<run>/<episode>.html               one page per episode
    runs/<run>/shots/<trajectory>/*.png     the screenshots those pages show
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from harness.errors import ConfigError
from harness.report.viewer.data import Episode, load_runs
from harness.report.viewer.pages import episode_page, index_page

#: Left in every site this module writes, so rebuilding may replace it but never an unrelated folder.
MARKER = ".deskbench-view"
ASSETS = ("viewer.css", "viewer.js")


@dataclass(frozen=True)
class Site:
    index: Path
    episodes: int


def build_site(runs: Sequence[Path], out: Path) -> Site:
    """Read the run folders and write their site into ``out``: the index page, and a page per episode."""
    loaded = load_runs(list(runs))  # first, so a bad run folder leaves ``out`` untouched
    _prepare(out)
    _write_assets(out)
    episodes = [e for run in loaded for e in run.episodes]
    for episode in episodes:
        _copy_shots(episode, out)
    _write_pages(episodes, out)
    index = out / "index.html"
    index.write_text(index_page(loaded), encoding="utf-8")
    (out / MARKER).write_text("written by deskbench view; the whole folder is replaced on the next build\n")
    return Site(index, len(episodes))


def _prepare(out: Path) -> None:
    """An empty or new folder, or an earlier site (whose pages and shots are cleared, so none go stale)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ConfigError(f"--out {out} is a folder with other files in it; give a new or empty folder "
                          "(or an earlier 'deskbench view' output, which is replaced)")
    for name in ("runs", "assets"):
        shutil.rmtree(out / name, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


def _write_assets(out: Path) -> None:
    (out / "assets").mkdir()
    package = resources.files(__package__ or "harness.report.viewer")
    for name in ASSETS:
        (out / "assets" / name).write_bytes(package.joinpath(name).read_bytes())


def _copy_shots(episode: Episode, out: Path) -> None:
    """The screenshots this page shows; a trajectory shared by several records is linked once."""
    if episode.trajectory is None:
        return
    target = out / episode.shots
    target.mkdir(parents=True, exist_ok=True)
    names = [s.screenshot for s in episode.steps if s.screenshot]
    if episode.scored_screen is not None:
        names.append(episode.scored_screen.file)
    for name in names:
        if not (target / name).exists():
            _link_or_copy(episode.trajectory / name, target / name)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link costs no space (screenshots are most of a run's size); another file system needs a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _write_pages(episodes: Sequence[Episode], out: Path) -> None:
    by_id = {(e.run_slug, e.record.episode_id): e for e in episodes}
    for n, episode in enumerate(episodes):
        previous = episodes[n - 1] if n > 0 else None
        following = episodes[n + 1] if n + 1 < len(episodes) else None
        main = by_id.get((episode.run_slug, episode.record.derived_from or ""))
        html = episode_page(episode, previous, following, main)
        (out / episode.page).parent.mkdir(parents=True, exist_ok=True)
        (out / episode.page).write_text(html, encoding="utf-8")
