"""``deskbench bench env``'s per-image figures: size, recorded build time and start times, for built images only."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.bench.env_latency import ImageFigures, measure_images, render_images
from harness.sandbox.images import record_build_seconds, recorded_build_seconds


def test_build_times_are_kept_per_tag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert recorded_build_seconds() == {}
    record_build_seconds("deskbench/x:1", 12.34)
    record_build_seconds("deskbench/y:2", 5.0)
    assert recorded_build_seconds() == {"deskbench/x:1": 12.3, "deskbench/y:2": 5.0}


def test_the_table_says_when_a_build_time_is_unknown() -> None:
    text = render_images([ImageFigures("a", "deskbench/a:1", 2_050_000_000, 45.0, (0.4, 0.5, 0.6)),
                          ImageFigures("b", "deskbench/b:2", 1_000_000_000, None, (0.3,))])
    lines = text.splitlines()
    assert lines[2].split()[:7] == ["a", "2.05", "GB", "45", "s", "3", "500.0"]
    assert lines[3].split()[:5] == ["b", "1.00", "GB", "-", "1"]
    assert "build '-'" in lines[-1]


def test_each_built_image_is_started_and_measured(desktop_image: str) -> None:
    figures = measure_images(["desktop", "no-such-image"], starts=2)
    assert [f.name for f in figures] == ["desktop"]  # an unknown or unbuilt image is skipped, not built
    desktop = figures[0]
    assert desktop.tag == desktop_image and desktop.size_bytes > 100_000_000
    assert len(desktop.start) == 2 and all(0 < s < 60 for s in desktop.start)
