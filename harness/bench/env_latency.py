"""How fast is a deskbench desktop, next to driving a container the usual way?

An agent's step is "do one action, then look at the screen", repeated hundreds
of times per episode, and every episode starts a fresh container.  So the two
numbers that bound how many episodes an hour the harness can run are:

(a) fresh container to first screenshot -- ``start_sandbox`` entering its
    context (``docker run``, the guest answering, a first screenshot OK);
(b) one action plus one PNG screenshot through the guest's keep-alive
    connection on its Unix socket.

To show what the guest buys, (c) does the same round trip the way most
harnesses do it: one ``docker exec`` per action and a command-line screenshot
tool whose PNG comes back on stdout.  The desktop image has neither
ImageMagick's ``import`` nor ``xwd``, and the image must not change for a
benchmark, so the screenshot tool is a short python3 program (python-xlib's
``get_image`` of the root window, encoded by Pillow) -- still one new process
per action, which is the cost being compared.  It encodes PNG with the same
``compress_level=1`` as the guest, so the ratio measures the transport and
the per-action processes, not two different encoders.

The machine is shared and noisy, so every measurement is repeated, the (b)
and (c) samples are interleaved round by round (a burst of load hits both
alike), and the report gives medians and 95th percentiles, never single
values.  Raw samples are kept in seconds in :class:`EnvLatency`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec

from harness import guestcode
from harness.errors import SandboxError
from harness.sandbox.container import Sandbox, start_sandbox

IMAGE = "desktop"
LABELS = {"deskbench.run": "bench"}
WARMUP_ROUNDS = 2
EXEC_TIMEOUT_S = 60.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk's type and CRC: the last 8 bytes of every complete PNG
P = ParamSpec("P")

# Targets the report checks; medians, because single values on a shared machine mean little.
TARGET_START_P50_S = 1.0
TARGET_ROUND_TRIP_P50_S = 0.040
TARGET_RATIO = 5.0

# The baseline's screenshot tool (``harness.guestcode.xlib_screenshot``): python-xlib's root window as a PNG.
BASELINE_TOOL = "python3 -c <python-xlib root.get_image -> Pillow PNG, compress_level=1, to stdout>"


@dataclass(frozen=True)
class Stats:
    """Order statistics of one series of samples, in seconds."""

    n: int
    p50: float
    p95: float


def percentiles(samples: tuple[float, ...]) -> Stats:
    """p50 and p95 with ``statistics.quantiles`` (inclusive method: stays inside the observed range).

    ``quantiles`` needs two points; one sample is its own median and p95.
    """
    if not samples:
        raise ValueError("no samples")
    if len(samples) == 1:
        return Stats(1, samples[0], samples[0])
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Stats(len(samples), cuts[49], cuts[94])


@dataclass(frozen=True)
class EnvLatency:
    """Raw samples (seconds) of one benchmark run, plus what is needed to read them."""

    cores: int
    image: str
    screen: tuple[int, int]
    display: str
    start: tuple[float, ...]              # (a) start_sandbox entering its context
    removal: tuple[float, ...]            # context exit (container removed) -- reported, not in (a)
    guest_move_png: tuple[float, ...]     # (b) guest.input(move) + guest.screenshot() PNG
    guest_click_png: tuple[float, ...]    # guest.input(click) + guest.screenshot() PNG
    guest_png: tuple[float, ...]          # guest.screenshot() PNG only
    guest_jpeg: tuple[float, ...]         # guest.screenshot("jpeg") only
    exec_move_png: tuple[float, ...]      # (c) docker exec xdotool mousemove + docker exec screenshot
    exec_move: tuple[float, ...]          # the mousemove part of (c)
    exec_png: tuple[float, ...]           # the screenshot part of (c)
    guest_png_bytes: int                  # median PNG size from the guest
    exec_png_bytes: int                   # median PNG size from the baseline tool
    baseline_tool: str = BASELINE_TOOL

    @property
    def ratio(self) -> float:
        """(c)/(b) of the medians: how many guest round trips fit in one docker-exec round trip."""
        return percentiles(self.exec_move_png).p50 / percentiles(self.guest_move_png).p50


def _positions(count: int, screen: tuple[int, int]) -> list[tuple[int, int]]:
    """Distinct pointer positions spread over the screen, so no action is a no-op for X."""
    w, h = screen
    return [(40 + (i * 211) % (w - 80), 40 + (i * 137) % (h - 80)) for i in range(count)]


def _timed(fn: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> float:
    """Wall-clock seconds of one call (perf_counter: monotonic, the finest clock there is)."""
    started = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - started


def _png_size(data: bytes, what: str) -> tuple[int, int]:
    """Width and height from a PNG's IHDR, after checking its signature and end.

    This is how the baseline proves the screenshot really reached the host,
    whole, without decoding it (decoding would add to the time measured).
    """
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or not data.endswith(PNG_END):
        raise SandboxError(f"{what} did not return a complete PNG ({len(data)} bytes: {data[:16]!r})")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


class _ExecBaseline:
    """The usual way: one ``docker exec`` (Docker CLI, subprocess) per action and per screenshot."""

    def __init__(self, container: str, display: str, screen: tuple[int, int]) -> None:
        self.prefix = ["docker", "exec", "-e", f"DISPLAY={display}", container]
        self.screen = screen
        self.last_png = b""

    def _exec(self, *argv: str) -> bytes:
        try:
            proc = subprocess.run([*self.prefix, *argv], capture_output=True, timeout=EXEC_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise SandboxError(f"docker exec {argv[0]} timed out after {EXEC_TIMEOUT_S:.0f} s") from None
        if proc.returncode != 0:
            raise SandboxError(f"docker exec {argv[0]} failed ({proc.returncode}): "
                               f"{proc.stderr.decode(errors='replace').strip()[-300:]}")
        return proc.stdout

    def move(self, x: int, y: int) -> None:
        self._exec("xdotool", "mousemove", str(x), str(y))

    def screenshot(self) -> None:
        data = self._exec("python3", "-c", guestcode.source("xlib_screenshot"))
        size = _png_size(data, "the baseline screenshot")
        if size != self.screen:
            raise SandboxError(f"the baseline screenshot is {size[0]}x{size[1]}, not {self.screen[0]}x{self.screen[1]}")
        self.last_png = data


@dataclass
class _RoundTrips:
    """Samples (seconds) collected in one sandbox; sizes in bytes."""

    guest_move_png: list[float] = field(default_factory=list)
    guest_click_png: list[float] = field(default_factory=list)
    guest_png: list[float] = field(default_factory=list)
    guest_jpeg: list[float] = field(default_factory=list)
    exec_move_png: list[float] = field(default_factory=list)
    exec_move: list[float] = field(default_factory=list)
    exec_png: list[float] = field(default_factory=list)
    guest_png_bytes: list[int] = field(default_factory=list)
    exec_png_bytes: list[int] = field(default_factory=list)


def _round_trips(box: Sandbox, display: str, samples: int) -> _RoundTrips:
    """Time (b), its context, and (c) in one sandbox, interleaved round by round after warm-up rounds.

    Interleaving means a burst of load from other users of the machine
    lands on guest and docker-exec samples alike instead of skewing one side.
    """
    guest = box.guest
    base = _ExecBaseline(str(box.container.name), display, box.screen)
    out = _RoundTrips()
    sizes: list[int] = []

    def guest_png() -> None:
        shot = guest.screenshot()
        if not shot.data.startswith(PNG_SIGNATURE):
            raise SandboxError(f"the guest screenshot is not a PNG ({len(shot.data)} bytes)")
        sizes.append(len(shot.data))

    def guest_jpeg() -> None:
        if not guest.screenshot("jpeg").data:
            raise SandboxError("the guest returned an empty JPEG")

    def action_then_png(op: str, x: int, y: int) -> None:  # (b): one action then one screenshot, as a step does
        guest.input({"op": op, "x": x, "y": y})
        guest_png()

    def exec_action_then_png(x: int, y: int) -> tuple[float, float]:  # (c): one docker exec each
        return _timed(base.move, x, y), _timed(base.screenshot)

    for i, (x, y) in enumerate(_positions(WARMUP_ROUNDS + samples, box.screen)):
        t_b = _timed(action_then_png, "move", x, y)
        t_click = _timed(action_then_png, "click", box.screen[0] - x, box.screen[1] - y)  # elsewhere: it moves too
        t_png = _timed(guest_png)
        t_jpeg = _timed(guest_jpeg)
        t_move, t_shot = exec_action_then_png(x, y)
        if i < WARMUP_ROUNDS:
            continue
        out.guest_move_png.append(t_b)
        out.guest_click_png.append(t_click)
        out.guest_png.append(t_png)
        out.guest_jpeg.append(t_jpeg)
        out.exec_move.append(t_move)
        out.exec_png.append(t_shot)
        out.exec_move_png.append(t_move + t_shot)
        out.exec_png_bytes.append(len(base.last_png))
    out.guest_png_bytes = sizes[-samples:]
    return out


def measure(samples: int = 20, starts: int = 10) -> EnvLatency:
    """Run (a) ``starts`` times and (b)/(c) ``samples`` times each, in one run; every container is removed.

    The round trips run in the last started sandbox, so (a)'s starts are
    back to back and nothing extra is started.
    """
    if samples < 1 or starts < 1:
        raise ValueError("samples and starts must be at least 1")
    start: list[float] = []
    removal: list[float] = []
    trips = _RoundTrips()
    image, screen, display = "", (0, 0), ":0"
    for i in range(starts):
        with start_sandbox(IMAGE, labels=dict(LABELS)) as box:
            start.append(box.start_seconds)
            image, screen = box.image, box.screen
            if i == starts - 1:
                # docker exec does not inherit the DISPLAY the guest chose for Xvfb; ask the guest
                display = str(box.guest.health().get("display") or ":0")
                trips = _round_trips(box, display, samples)
            leaving = time.perf_counter()
        removal.append(time.perf_counter() - leaving)
    return EnvLatency(
        cores=os.cpu_count() or 0, image=image, screen=screen, display=display,
        start=tuple(start), removal=tuple(removal),
        guest_move_png=tuple(trips.guest_move_png), guest_click_png=tuple(trips.guest_click_png),
        guest_png=tuple(trips.guest_png), guest_jpeg=tuple(trips.guest_jpeg),
        exec_move_png=tuple(trips.exec_move_png), exec_move=tuple(trips.exec_move), exec_png=tuple(trips.exec_png),
        guest_png_bytes=int(statistics.median(trips.guest_png_bytes)),
        exec_png_bytes=int(statistics.median(trips.exec_png_bytes)),
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _row(label: str, samples: tuple[float, ...]) -> str:
    s = percentiles(samples)
    return f"  {label:<52} {s.n:>4} {_ms(s.p50)} {_ms(s.p95)}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def render(result: EnvLatency) -> str:
    """A plain-text report: p50/p95/n per measurement, the (c)/(b) ratio, and each target met or not."""
    a, b, c = percentiles(result.start), percentiles(result.guest_move_png), percentiles(result.exec_move_png)
    ratio = result.ratio
    lines = [
        (f"deskbench env latency: {result.cores} cores, image {result.image}, "
         f"screen {result.screen[0]}x{result.screen[1]}, DISPLAY {result.display}"),
        f"  {'measurement':<52} {'n':>4} {'p50':>11} {'p95':>11}",
        _row("(a) fresh container -> first screenshot", result.start),
        _row("    container removal (extra; not in a)", result.removal),
        _row("(b) guest move + PNG screenshot", result.guest_move_png),
        _row("    guest click + PNG screenshot", result.guest_click_png),
        _row("    guest PNG screenshot only", result.guest_png),
        _row("    guest JPEG screenshot only", result.guest_jpeg),
        _row("(c) docker exec mousemove + docker exec screenshot", result.exec_move_png),
        _row("    docker exec xdotool mousemove", result.exec_move),
        _row("    docker exec python3 screenshot (PNG to host)", result.exec_png),
        f"  PNG size (median): guest {result.guest_png_bytes} bytes, baseline {result.exec_png_bytes} bytes",
        "  baseline (c), Docker CLI via subprocess, PNG checked complete on the host:",
        f"    docker exec -e DISPLAY={result.display} <ctr> xdotool mousemove X Y",
        f"    docker exec -e DISPLAY={result.display} <ctr> {result.baseline_tool}",
        "    (screenshot tool: python-xlib + Pillow; the image has no ImageMagick import or xwd)",
        f"  ratio (c)/(b) of medians: {ratio:.1f}x",
        "targets (p50, the machine is shared):",
        f"  (a) p50 <= {TARGET_START_P50_S:.1f} s   : {_verdict(a.p50 <= TARGET_START_P50_S)} ({a.p50:.3f} s)",
        (f"  (b) p50 <= {TARGET_ROUND_TRIP_P50_S * 1000:.0f} ms   : "
         f"{_verdict(b.p50 <= TARGET_ROUND_TRIP_P50_S)} ({b.p50 * 1000:.1f} ms)"),
        (f"  (c)/(b) >= {TARGET_RATIO:.0f}     : {_verdict(ratio >= TARGET_RATIO)} ({ratio:.1f}x; "
         f"(c) p50 {c.p50 * 1000:.1f} ms)"),
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class ImageFigures:
    """What one image costs: its size, how long it took to build here (when recorded), its start times."""

    name: str
    tag: str
    size_bytes: int
    build_seconds: float | None  # None: built elsewhere, or before build times were kept
    start: tuple[float, ...]     # fresh container -> first screenshot, seconds


def measure_images(names: list[str] | None = None, starts: int = 5) -> list[ImageFigures]:
    """Size, recorded build time and ``starts`` start times of each image (default: every built one).

    An image that is not built is skipped, not built: a benchmark must not
    spend its time (and the reader's) on a build.
    """
    from harness.errors import ImageNotFound
    from harness.sandbox.engine import docker_client
    from harness.sandbox.images import known_images, recorded_build_seconds, resolve_image

    if starts < 1:
        raise ValueError("starts must be at least 1")
    builds = recorded_build_seconds()
    figures = []
    for name in names or list(known_images()):
        try:
            tag = resolve_image(name)
        except ImageNotFound:
            continue
        times = []
        for _ in range(starts):
            with start_sandbox(name, labels=dict(LABELS)) as box:
                times.append(box.start_seconds)
        size = int(docker_client().images.get(tag).attrs.get("Size") or 0)
        figures.append(ImageFigures(name, tag, size, builds.get(tag), tuple(times)))
    return figures


def render_images(figures: list[ImageFigures]) -> str:
    """One line per image: size, build time, start p50/p95 (n)."""
    lines = ["images (start: fresh container -> first screenshot):",
             f"  {'image':<10} {'size':>9} {'build':>9} {'n':>4} {'start p50':>11} {'start p95':>11}  tag"]
    for f in figures:
        s = percentiles(f.start)
        build = f"{f.build_seconds:7.0f} s" if f.build_seconds is not None else "        -"
        lines.append(f"  {f.name:<10} {f.size_bytes / 1e9:7.2f} GB {build} {s.n:>4} {_ms(s.p50)} {_ms(s.p95)}"
                     f"  {f.tag}")
    if any(f.build_seconds is None for f in figures):
        lines.append("  build '-': not built by `deskbench images build` on this machine since build times are kept")
    return "\n".join(lines)
