"""Audio, video, OCR and code metrics on real files made here: tones, encoded videos, rendered text, Python files."""

from __future__ import annotations

import os
import socket
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont
from scipy.spatial.distance import cosine

from harness.checkers.metrics.audio_video import compare_audios, compare_videos, dtw_cosine
from harness.checkers.metrics.code import check_python_file_by_test_suite, run_suite
from harness.checkers.metrics.ocr import compare_image_text
from harness.errors import CheckerError

from .checker_support import task_file_options

RATE = 22050
SCALE = [262, 294, 330, 349, 392, 440, 494, 523]


def melody(notes: list[int], seconds: float = 0.25) -> NDArray[np.float32]:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.concatenate([0.5 * np.sin(2 * np.pi * f * t) * np.hanning(t.size) for f in notes]).astype(np.float32)


def write_wav(path: Path, samples: NDArray[np.float32]) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


def write_mp3(path: Path, samples: NDArray[np.float32]) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libmp3lame", rate=RATE)
        assert isinstance(stream, av.AudioStream)
        formats = stream.codec_context.codec.audio_formats
        assert formats, "libmp3lame lists its sample formats"
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray((samples * 32767).astype(np.int16).reshape(1, -1), format="s16",
                                           layout="mono")
        frame.sample_rate = RATE
        resampler = av.AudioResampler(format=formats[0].name, layout="mono",
                                      rate=RATE)
        for chunk in resampler.resample(frame):
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def test_dtw_equals_the_textbook_recurrence() -> None:
    rng = np.random.default_rng(7)
    for _ in range(25):
        n, m = (int(v) for v in rng.integers(1, 12, 2))
        a, b = rng.normal(size=(n, 5)), rng.normal(size=(m, 5))
        table = np.full((n + 1, m + 1), np.inf)
        table[0, 0] = 0.0
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                table[i, j] = cosine(a[i - 1], b[j - 1]) + min(table[i - 1, j - 1], table[i - 1, j], table[i, j - 1])
        distance, steps = dtw_cosine(a, b)
        assert distance == pytest.approx(table[n, m])
        assert max(n, m) <= steps <= n + m - 1


def test_compare_audios_ranks_the_same_song_above_another(tmp_path: Path) -> None:
    gold = write_wav(tmp_path / "gold.wav", melody(SCALE * 4))
    same_mp3 = write_mp3(tmp_path / "same.mp3", melody(SCALE * 4))
    slower = write_wav(tmp_path / "slower.wav", melody(SCALE * 4, seconds=0.3))
    other = write_wav(tmp_path / "other.wav", melody(SCALE[::-1] * 4))
    noise = write_wav(tmp_path / "noise.wav", np.random.default_rng(1).normal(0, 0.2, RATE * 4).astype(np.float32))
    assert compare_audios(str(gold), str(gold)) == pytest.approx(1.0)
    same, slow, different, hiss = (compare_audios(str(p), str(gold)) for p in (same_mp3, slower, other, noise))
    assert same > 0.97 and slow > 0.95  # a re-encoding, and the same tune played slower (DTW aligns it)
    assert different < 0.8 and hiss < 0.5
    assert hiss < different < slow


def test_compare_audios_missing_or_broken_files(tmp_path: Path) -> None:
    gold = write_wav(tmp_path / "gold.wav", melody(SCALE))
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"ID3 this is not audio" * 50)
    assert compare_audios(None, str(gold)) == 0.0
    assert compare_audios(str(tmp_path / "absent.mp3"), str(gold)) == 0.0
    assert compare_audios(str(broken), str(gold)) == 0.0
    with pytest.raises(CheckerError, match="compare_audios: the expected file .* not decodable"):
        compare_audios(str(gold), str(broken))
    with pytest.raises(CheckerError, match="compare_audios: the expected file is missing"):
        compare_audios(str(gold), None)


def _scene(i: int) -> NDArray[np.uint8]:
    image = np.zeros((120, 160, 3), np.uint8)
    image[:60] = (30, 60, 200)
    image[60:] = (40, 160, 40)
    x = (i * 3) % 140
    image[20:50, x:x + 20] = (250, 250, 0)
    image[80:110, 10:40] = (200, 0, 0)
    return image


def write_video(path: Path, frames: list[NDArray[np.uint8]], codec: str = "mpeg4") -> str:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        assert isinstance(stream, av.VideoStream), codec
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return str(path)


def test_compare_videos(tmp_path: Path) -> None:
    frames = [_scene(i) for i in range(60)]
    gold = write_video(tmp_path / "gold.mp4", frames)
    assert compare_videos(write_video(tmp_path / "x264.mp4", frames, "libx264"), gold) == 1.0
    assert compare_videos(write_video(tmp_path / "flipped.mp4", [f[::-1].copy() for f in frames]), gold) == 0.0
    assert compare_videos(write_video(tmp_path / "short.mp4", frames[:40]), gold) == 0.0
    # only the first frames are checked: a video that differs after them still matches
    tail = frames[:20] + [f[::-1].copy() for f in frames[20:]]
    assert compare_videos(write_video(tmp_path / "tail.mp4", tail), gold, max_frames_to_check=15) == 1.0
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video")
    assert compare_videos(str(not_video), gold) == 0.0
    assert compare_videos(None, gold) == 0.0
    with pytest.raises(CheckerError, match="compare_videos: the expected file .* not a decodable video"):
        compare_videos(gold, str(not_video))
    with pytest.raises(CheckerError, match="option 'threshold' must be int"):
        compare_videos(gold, gold, **task_file_options(threshold="5"))


def _terminal_shot(path: Path, lines: list[str]) -> str:
    image = Image.new("RGB", (640, 40 + 30 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=16)
    for row, line in enumerate(lines):
        draw.text((10, 10 + 30 * row), line, fill="black", font=font)
    image.save(path)
    return str(path)


def test_compare_image_text_reads_rendered_text(tmp_path: Path) -> None:
    shot = _terminal_shot(tmp_path / "ls.png", ["user@desktop:~$ ls", "Desktop  Documents  Downloads  Pictures",
                                                "user@desktop:~$ Ls -la"])
    assert compare_image_text(shot, {"type": "text", "text": " Ls"}) == 1.0
    assert compare_image_text(shot, {"type": "text", "text": "Downloads Pictures"}) == 1.0
    assert compare_image_text(shot, {"type": "text", "text": "Videos"}) == 0.0
    assert compare_image_text(shot, {"type": "text", "text": "DOCUMENTS"}) == 0.0
    assert compare_image_text(shot, {"type": "text", "text": "DOCUMENTS"}, ignore_case=True) == 1.0
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG but not really")
    assert compare_image_text(str(junk), {"type": "text", "text": "ls"}) == 0.0
    assert compare_image_text(None, {"type": "text", "text": "ls"}) == 0.0
    with pytest.raises(CheckerError, match="compare_image_text: rule type must be 'text'"):
        compare_image_text(shot, {"type": "regex", "text": "ls"})
    with pytest.raises(CheckerError, match="compare_image_text: rules need 'text'"):
        compare_image_text(shot, {"type": "text"})


GAME = "import pygame\n\nCELL = 20\n\n\ndef snap(x):\n    return x - x % CELL\n"
BROKEN_GAME = "import pygame\n\nCELL = 20\n\n\ndef snap(x):\n    return x\n"
SUITE = ("import pygame\nfrom game import snap\n\n\ndef test():\n    pygame.display.init()\n"
         "    pygame.display.set_mode((40, 40))\n    return all(snap(x) % 20 == 0 for x in range(100))\n")


def test_python_suite_scores_the_agents_files(tmp_path: Path) -> None:
    suite = tmp_path / "test_suite.py"
    suite.write_text(SUITE)
    fixed, broken = tmp_path / "fixed", tmp_path / "broken"
    fixed.mkdir()
    broken.mkdir()
    (fixed / "game.py").write_text(GAME)
    (broken / "game.py").write_text(BROKEN_GAME)
    assert check_python_file_by_test_suite([str(fixed / "game.py")], str(suite)) == 1.0
    assert check_python_file_by_test_suite([str(broken / "game.py")], str(suite)) == 0.0
    assert check_python_file_by_test_suite([None], str(suite)) == 0.0  # the agent deleted the file
    (fixed / "syntax.py").write_text("def test(:\n")
    assert check_python_file_by_test_suite([str(fixed / "game.py")], str(fixed / "syntax.py")) == 0.0
    (fixed / "half.py").write_text("def check():\n    return 0.5\n")
    assert check_python_file_by_test_suite([str(fixed / "game.py")], str(fixed / "half.py"),
                                           test_function_name="check") == 0.5
    with pytest.raises(CheckerError, match="test_function_name 'not a name'"):
        check_python_file_by_test_suite([str(fixed / "game.py")], str(suite), test_function_name="not a name")
    with pytest.raises(CheckerError, match="the expected file is missing"):
        check_python_file_by_test_suite([str(fixed / "game.py")], None)


def test_python_suite_is_bounded_and_isolated(tmp_path: Path) -> None:
    (tmp_path / "game.py").write_text("while True:\n    pass\n")
    (tmp_path / "suite.py").write_text("def test():\n    import game\n    return True\n")
    score, why = run_suite([tmp_path / "game.py"], tmp_path / "suite.py", "test", timeout=2)
    assert (score, why) == (0.0, "the test suite ran longer than 2 s")

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    (tmp_path / "probe.py").write_text(
        "import os, socket\n\ndef test():\n"
        f"    try:\n        socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n"
        "        reached = True\n    except OSError:\n        reached = False\n"
        "    return 1.0 if (reached, os.geteuid() == 0) == (False, False) else 0.0\n")
    with listener:
        score, why = run_suite([tmp_path / "game.py"], tmp_path / "probe.py", "test")
    # as root (CI), the suite runs without network and without root; otherwise it runs as the caller
    assert score == (1.0 if os.geteuid() == 0 else 0.0), why
