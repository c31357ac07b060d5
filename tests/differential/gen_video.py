"""Cases for ``compare_videos``: short MPEG-4 clips written with PyAV (deskbench's decoder), read by the
reference through OpenCV.  Frames carry a moving pattern (plain colours all hash alike), so a clip of other
content, a shorter clip, a re-encoded copy and a missing file are told apart by content, not by chance."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np

from tests.differential.cases import NO_EXPECTED, Case, generates
from tests.differential.uses import Use

SIZE = 64


def _frame(i: int, seed: int) -> np.ndarray:
    """A frame of stripes whose angle and phase move with ``i``; ``seed`` picks another picture altogether."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    if seed:
        wave = np.sin((x * (1 + seed % 3) + y * (2 + seed)) / 5.0 + i / 3.0)
    else:
        wave = np.sin((x + i) / 4.0) * np.cos(y / 7.0)
    grey = ((wave + 1) * 127.5).astype(np.uint8)
    return np.stack([grey, 255 - grey, (grey // 2) + 60], axis=-1)


def _clip(path: Path, frames: int, seed: int = 0, bit_rate: int = 400_000) -> str:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width = stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = bit_rate
        for i in range(frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(_frame(i, seed), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


@generates("compare_videos")
def videos(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for n, use in enumerate(uses):
        gold = _clip(folder / f"{n}-gold.mp4", 30)
        copy = folder / f"{n}-copy.mp4"
        shutil.copyfile(gold, copy)
        results = {
            "same-file": str(copy),
            "re-encoded": _clip(folder / f"{n}-reencoded.mp4", 30, bit_rate=150_000),
            "other-content": _clip(folder / f"{n}-other.mp4", 30, seed=5),
            "shorter": _clip(folder / f"{n}-shorter.mp4", 20),
            "missing-file": str(folder / f"{n}-absent.mp4"),
        }
        for label, result in results.items():
            cases.append(Case("compare_videos", f"{use.task[:8]}:{label}", result,
                              gold if use.has_expected else NO_EXPECTED, use.options, (use.task,)))
    return cases
