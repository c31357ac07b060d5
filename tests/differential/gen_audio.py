"""Cases for ``compare_audios``: short WAV files (16-bit mono, written with the standard library) of tones
and noise; the reference loads them with librosa and aligns MFCCs with fastdtw, deskbench with PyAV and an
exact DTW."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tests.differential.cases import NO_EXPECTED, Case, generates
from tests.differential.uses import Use

RATE = 22050


def _wav(path: Path, samples: np.ndarray) -> str:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32000).astype("<i2").tobytes())
    return str(path)


def _melody(notes: list[float], seconds: float = 0.25) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return np.concatenate([0.5 * np.sin(2 * np.pi * f * t) * np.hanning(t.size) for f in notes])


TUNE = [440.0, 494.0, 523.0, 587.0, 659.0, 587.0, 523.0, 494.0]


@generates("compare_audios")
def audios(uses: list[Use], folder: Path) -> list[Case]:
    noise = np.random.default_rng(7).uniform(-0.5, 0.5, RATE * 2)
    cases: list[Case] = []
    for n, use in enumerate(uses):
        gold = _wav(folder / f"{n}-gold.wav", _melody(TUNE))
        results = {
            "same-audio": _wav(folder / f"{n}-same.wav", _melody(TUNE)),
            "white-noise": _wav(folder / f"{n}-noise.wav", noise),
            "other-tune": _wav(folder / f"{n}-other.wav", _melody([f * 1.5 for f in reversed(TUNE)])),
            "missing-file": str(folder / f"{n}-absent.wav"),
        }
        for label, result in results.items():
            cases.append(Case("compare_audios", f"{use.task[:8]}:{label}", result,
                              gold if use.has_expected else NO_EXPECTED, use.options, (use.task,)))
    return cases
