"""Audio and video metrics: does the agent's recording sound (or look) like the gold one?

``compare_audios`` follows the benchmark's idea: MFCC features of both
signals, each coefficient scaled to a peak of 1 over time, aligned by dynamic
time warping with the cosine distance between frames; the score is
``exp(-distance / path length)``, so 1 is identical and a different song
lands well below.  The features are computed here with numpy and scipy
(librosa's default analysis: 22.05 kHz mono, 2048-sample frames every 512,
128 Slaney mel bands, dB with an 80 dB floor, 20 orthonormal DCT-II
coefficients), and the alignment is exact DTW rather than an approximation.

``compare_videos`` compares the first frames of both videos by perceptual
hash: more than ``threshold`` frames whose hashes differ by more than
``threshold`` bits, or videos of different lengths within the frames checked,
score 0.

Both decode with PyAV (FFmpeg's libraries, bundled in its wheel).  The
agent's file is bounded: at most :data:`MAX_AUDIO_SECONDS` of audio are
decoded, and only the frames checked of a video.  A file that is missing or
cannot be decoded scores 0 when it is the agent's; the gold file's failing to
decode is the task's fault (``CheckerError``).
"""

from __future__ import annotations

from typing import Any

import av
import imagehash
import numpy as np
from numpy.typing import NDArray
from scipy.fft import dct

from harness.checkers.metrics._common import expected_path, fail, option, result_path
from harness.checkers.registry import metric
from harness.errors import CheckerError

SAMPLE_RATE = 22050
FRAME = 2048
HOP = 512
MEL_BANDS = 128
COEFFICIENTS = 20
TOP_DB = 80.0
#: audio decoded from one file at most; a longer recording is compared on its first part
MAX_AUDIO_SECONDS = 300.0

Floats = NDArray[np.float64]


class _Undecodable(Exception):
    """The file is not audio (or video) FFmpeg can decode."""


def decode_audio(path: str, max_seconds: float = MAX_AUDIO_SECONDS) -> NDArray[np.float32]:
    """The file's first audio stream as mono float32 samples at :data:`SAMPLE_RATE`, at most ``max_seconds``."""
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[NDArray[np.float32]] = []
    total = 0
    try:
        with av.open(path) as container:
            if not container.streams.audio:
                raise _Undecodable("no audio stream")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1).astype(np.float32)
                    chunks.append(samples)
                    total += samples.size
                if total >= limit:
                    break
    except (av.FFmpegError, ValueError, OSError, IndexError) as exc:
        raise _Undecodable(str(exc)) from None
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks)[:limit]


def _hz_to_mel(hz: Floats) -> Floats:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    mel = hz / f_sp
    above = hz >= min_log_hz
    mel[above] = min_log_mel + np.log(hz[above] / min_log_hz) / logstep
    return mel


def _mel_to_hz(mel: Floats) -> Floats:
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    hz = mel * f_sp
    above = mel >= min_log_mel
    hz[above] = min_log_hz * np.exp(logstep * (mel[above] - min_log_mel))
    return hz


def mel_filters(rate: int = SAMPLE_RATE, n_fft: int = FRAME, bands: int = MEL_BANDS) -> Floats:
    """Triangular mel filters (``bands`` x ``n_fft // 2 + 1``), each normalised to unit area (Slaney)."""
    bins = np.linspace(0, rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([rate / 2]))[0], bands + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return np.asarray(weights, dtype=np.float64)


def mfcc(samples: NDArray[np.float32]) -> Floats:
    """MFCCs (``COEFFICIENTS`` x frames) of mono samples at :data:`SAMPLE_RATE`; frames are centred (zero padded)."""
    padded = np.pad(samples.astype(np.float64), FRAME // 2)
    if padded.size < FRAME:
        padded = np.pad(padded, (0, FRAME - padded.size))
    count = 1 + (padded.size - FRAME) // HOP
    window = np.hanning(FRAME + 1)[:-1]  # periodic Hann
    mel = mel_filters()
    power = np.empty((MEL_BANDS, count))
    for start in range(0, count, 1024):  # blocks keep the frame matrix small for long recordings
        index = np.arange(start, min(count, start + 1024))
        frames = np.lib.stride_tricks.sliding_window_view(padded, FRAME)[index * HOP] * window
        power[:, index] = mel @ (np.abs(np.fft.rfft(frames, axis=1)) ** 2).T
    db = 10.0 * np.log10(np.maximum(power, 1e-10))
    db = np.maximum(db, db.max() - TOP_DB)
    return np.asarray(dct(db, type=2, axis=0, norm="ortho")[:COEFFICIENTS], dtype=np.float64)


def peak_normalise(features: Floats) -> Floats:
    """Each row scaled so that its largest magnitude over time is 1 (rows that are all zero stay zero)."""
    peak = np.abs(features).max(axis=1, keepdims=True)
    return features / np.where(peak > 0, peak, 1.0)


def dtw_cosine(a: Floats, b: Floats) -> tuple[float, int]:
    """Exact DTW of two frame sequences (rows) under cosine distance: (total distance, length of the best path).

    Anti-diagonals depend only on the two before them, so each is computed in
    one vectorised step and memory stays linear in the sequences' lengths.
    Two silent (all-zero) frames are at distance 0; a silent and a sounding one at 1.
    """
    n, m = len(a), len(b)
    norm_a, norm_b = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    unit_a = a / np.where(norm_a > 0, norm_a, 1.0)[:, None]
    unit_b = b / np.where(norm_b > 0, norm_b, 1.0)[:, None]
    silent_a, silent_b = norm_a == 0, norm_b == 0
    # the costs and path lengths of the last two anti-diagonals, indexed by row (cell (i, k - i))
    prev2_cost, prev_cost = np.full(n, np.inf), np.full(n, np.inf)
    prev2_len, prev_len = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for k in range(n + m - 1):
        i = np.arange(max(0, k - m + 1), min(n, k + 1))
        j = k - i
        local = 1.0 - np.einsum("ij,ij->i", unit_a[i], unit_b[j])
        local[silent_a[i] & silent_b[j]] = 0.0
        local[silent_a[i] ^ silent_b[j]] = 1.0
        cost, length = np.full(n, np.inf), np.zeros(n, dtype=np.int64)
        if k == 0:
            cost[0], length[0] = local[0], 1
        else:
            above = np.maximum(i - 1, 0)
            choices = np.stack([np.where((i > 0) & (j > 0), prev2_cost[above], np.inf),  # (i-1, j-1)
                                np.where(i > 0, prev_cost[above], np.inf),  # (i-1, j)
                                np.where(j > 0, prev_cost[i], np.inf)])  # (i, j-1)
            lengths = np.stack([prev2_len[above], prev_len[above], prev_len[i]])
            best = np.argmin(choices, axis=0)
            columns = np.arange(len(i))
            cost[i] = local + choices[best, columns]
            length[i] = lengths[best, columns] + 1
        prev2_cost, prev2_len, prev_cost, prev_len = prev_cost, prev_len, cost, length
    return float(prev_cost[n - 1]), int(prev_len[n - 1])


def audio_similarity(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """exp(-(DTW distance / path length)) between two signals' normalised MFCCs."""
    fa, fb = peak_normalise(mfcc(a)), peak_normalise(mfcc(b))
    distance, steps = dtw_cosine(fa.T, fb.T)
    return float(np.exp(-distance / steps)) if steps else 0.0


def _gold_audio(name: str, expected: Any) -> NDArray[np.float32]:
    path = expected_path(name, expected)
    try:
        return decode_audio(path)
    except _Undecodable as exc:
        raise fail(name, f"the expected file {path} is not decodable audio: {exc}") from None


@metric("compare_audios")
def compare_audios(result: Any, expected: Any) -> float:
    """Similarity in [0, 1] of the agent's audio to the gold audio (MFCC + DTW, see the module docstring).

    A missing, undecodable or silent-and-empty result scores 0 (the
    benchmark scores two empty files 1; the gold file here is never empty).
    """
    gold = _gold_audio("compare_audios", expected)
    if gold.size == 0:
        raise fail("compare_audios", "the expected file holds no audio samples")
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        mine = decode_audio(path)
    except _Undecodable:
        return 0.0
    if mine.size == 0:
        return 0.0
    return max(0.0, min(1.0, audio_similarity(mine, gold)))


def _frames(path: str, limit: int) -> list[imagehash.ImageHash] | None:
    """Perceptual hashes of the first ``limit + 1`` frames of the first video stream; None when undecodable."""
    hashes: list[imagehash.ImageHash] = []
    try:
        with av.open(path) as container:
            if not container.streams.video:
                return None
            for frame in container.decode(video=0):
                hashes.append(imagehash.phash(frame.to_image()))  # type: ignore[no-untyped-call]
                if len(hashes) > limit:
                    break
    except (av.FFmpegError, ValueError, OSError) as exc:
        if not hashes:
            return None
        raise CheckerError(f"compare_videos: {path} broke off while decoding: {exc}") from None
    return hashes


@metric("compare_videos")
def compare_videos(result: Any, expected: Any, max_frames_to_check: int = 100, threshold: int = 5) -> float:
    """1 when the first ``max_frames_to_check`` frames look alike (at most ``threshold`` frames whose
    perceptual hashes differ by more than ``threshold`` bits) and neither video ends before the other there."""
    option("compare_videos", "max_frames_to_check", max_frames_to_check, int)
    option("compare_videos", "threshold", threshold, int)
    if max_frames_to_check < 1:
        raise fail("compare_videos", f"max_frames_to_check must be at least 1, got {max_frames_to_check}")
    gold_path = expected_path("compare_videos", expected)
    gold = _frames(gold_path, max_frames_to_check)
    if not gold:
        raise fail("compare_videos", f"the expected file {gold_path} is not a decodable video")
    path = result_path(result)
    mine = None if path is None else _frames(path, max_frames_to_check)
    if not mine:
        return 0.0
    checked = min(len(mine), len(gold), max_frames_to_check)
    mismatches = sum(1 for x, y in zip(mine[:checked], gold[:checked], strict=True) if x - y > threshold)
    if mismatches > threshold:
        return 0.0
    if checked < max_frames_to_check and len(mine) != len(gold):
        return 0.0  # one video ended within the frames checked, the other did not
    return 1.0
