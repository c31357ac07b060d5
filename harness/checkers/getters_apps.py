"""Getters for desktop applications' state: VLC, GIMP, VS Code, the wallpaper, default apps, the terminal.

All of them read the desktop through the guest's primitives (files, commands,
windows, screenshots) and do the interpreting here, on the host.  Everything
read is capped (:data:`CONFIG_CAP` for settings files, :data:`IMAGE_CAP` for
a wallpaper): the desktop user controls those files.

Value shapes (the contract with the metrics):

- ``vlc_config``, ``gimp_config_file``, ``vlc_playing_info``, ``vm_wallpaper``,
  ``vscode_config``: the path of a local copy in the episode's cache folder
  (named by the spec's ``dest``), or None when the desktop has no such thing
- ``default_video_player``: the desktop file most video types open with
  (``"vlc.desktop"``), or ``"unknown"``
- ``vm_terminal_output``: the terminal window's text, one line per line
- ``shortcuts_on_desktop``: ``{file name: content}`` of ``~/Desktop/*.desktop``
- ``time_diff_range``: the spec's ``diff_range_in_minutes``
"""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.parse
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from PIL import Image

from harness import guestcode
from harness.checkers.context import EvalContext
from harness.checkers.getter_params import (
    DestParams,
    GimpConfigParams,
    NoFields,
    TimeRangeParams,
    VlcPlayingParams,
    VscodeConfigParams,
)
from harness.checkers.registry import getter
from harness.errors import CheckerError, GuestError
from harness.sandbox.guest import UnscorableOutput, desktop_path
from harness.tasks.schema import Getter

logger = logging.getLogger(__name__)

HOME = "/home/user"
CONFIG_CAP = 4 * 1024 * 1024
IMAGE_CAP = 64 * 1024 * 1024
VLC_CONFIG = f"{HOME}/.config/vlc/vlcrc"
GIMP_CONFIG_DIR = f"{HOME}/.config/GIMP/2.10"
VLC_HTTP_PORT = 8080  # the osworld image's VLC web interface (envs/osworld/config/vlcrc)
VLC_HTTP_PASSWORD = "password"
VSCODE_DATA = f"{HOME}/.config/Code"


def read_guest_file(ctx: EvalContext, name: str, path: str, cap: int = CONFIG_CAP) -> bytes | None:
    """A desktop file's bytes (at most ``cap``); None when it does not exist.

    A file the desktop made unreadable or too large raises UnscorableOutput
    (scored as the agent's doing); any other guest failure is a CheckerError.
    """
    path = desktop_path(path)
    try:
        return ctx.guest.read_file(path, max_bytes=cap)
    except GuestError as exc:
        if exc.status == 404:
            return None
        if isinstance(exc, UnscorableOutput):
            raise
        raise CheckerError(f"{name}: cannot read {path}: {exc}") from None


def save(ctx: EvalContext, spec: Getter, data: bytes, default: str) -> str:
    """Write ``data`` into the cache folder as the spec's ``dest`` (a plain file name) and return its path."""
    dest = str(spec.field("dest", default))
    name = PurePosixPath(dest).name
    if not name or name in (".", "..") or name != dest:
        raise CheckerError(f"{spec.type}: 'dest' must be a plain file name, got {dest!r}")
    local = ctx.cache_dir / name
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(data)
    return str(local)


def copy_file(ctx: EvalContext, spec: Getter, path: str, cap: int = CONFIG_CAP) -> str | None:
    data = read_guest_file(ctx, spec.type, path, cap)
    return None if data is None else save(ctx, spec, data, PurePosixPath(path).name)


@getter("vlc_config", params=DestParams)
def vlc_config(ctx: EvalContext, spec: Getter) -> str | None:
    """A copy of VLC's settings file (``~/.config/vlc/vlcrc``, written when VLC's preferences are saved)."""
    return copy_file(ctx, spec, VLC_CONFIG)


@getter("gimp_config_file", params=GimpConfigParams)
def gimp_config_file(ctx: EvalContext, spec: Getter) -> str | None:
    """A copy of one of GIMP's settings files (``file_name``: ``gimprc``, ``sessionrc``...), written when GIMP quits."""
    name = spec.field("file_name")
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise CheckerError(f"gimp_config_file: 'file_name' must be a file name, got {name!r}")
    return copy_file(ctx, spec, f"{GIMP_CONFIG_DIR}/{name}")


@getter("vlc_playing_info", params=VlcPlayingParams)
def vlc_playing_info(ctx: EvalContext, spec: Getter) -> str | None:
    """A copy of VLC's ``status.xml`` from its web interface; None when VLC is not running (nothing answers)."""
    port = spec.field("port", VLC_HTTP_PORT)
    if not isinstance(port, int) or isinstance(port, bool):
        raise CheckerError(f"vlc_playing_info: 'port' must be a number, got {port!r}")
    password = str(spec.field("password", VLC_HTTP_PASSWORD))
    result = ctx.guest.run(["python3", "-c", guestcode.source("vlc_status"), str(port), password, str(CONFIG_CAP)], shell=False,
                           timeout=20)
    if result.exit_code == 3:  # connection refused: no VLC (or its web interface is off)
        return None
    if result.exit_code == 2:
        # an HTTP error (a password the desktop changed, a 404 while VLC starts): OSWorld's getter returns None for
        # any answer but 200, and the metric scores that; an error here would take the episode out of the scores
        logger.info("vlc_playing_info: VLC's web interface answered %s", result.stderr.strip()[:200])
        return None
    if result.exit_code != 0:
        raise CheckerError(f"vlc_playing_info: VLC's web interface answered {result.stderr.strip()[:200]}")
    data = result.stdout.encode()
    if len(data) > CONFIG_CAP:
        raise UnscorableOutput(f"vlc_playing_info: VLC's status is longer than {CONFIG_CAP} bytes", 413)
    return save(ctx, spec, data, "status.xml")


# ------------------------------------------------------------------ wallpaper


def _uri_path(value: str) -> str | None:
    """The file a ``gsettings`` string value (``'file:///a%20b.png'``, or a bare path) names."""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if text.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlsplit(text).path)
    return text if text.startswith("/") else None


def wallpaper_candidates(ctx: EvalContext) -> list[str]:
    """Files the desktop names as its wallpaper, most authoritative first: GNOME's setting (what OSWorld reads),
    then the desktop-icons manager's (pcmanfm's ``wallpaper=``)."""
    found: list[str] = []
    for key in ("picture-uri", "picture-uri-dark"):
        result = ctx.guest.run(["gsettings", "get", "org.gnome.desktop.background", key], shell=False,
                               env={"HOME": HOME, "XDG_CONFIG_HOME": f"{HOME}/.config"}, timeout=20)
        path = _uri_path(result.stdout) if result.exit_code == 0 else None
        if path:
            found.append(path)
    pcmanfm = read_guest_file(ctx, "vm_wallpaper", f"{HOME}/.config/pcmanfm/default/desktop-items-0.conf")
    if pcmanfm is not None:
        for line in pcmanfm.decode("utf-8", errors="replace").splitlines():
            if line.startswith("wallpaper="):
                found.append(line.split("=", 1)[1].strip())
    return found


@getter("vm_wallpaper", params=DestParams)
def vm_wallpaper(ctx: EvalContext, spec: Getter) -> str | None:
    """A copy of the desktop's wallpaper image; None when no wallpaper file is set (or it is gone)."""
    for path in wallpaper_candidates(ctx):
        data = read_guest_file(ctx, spec.type, path, IMAGE_CAP)
        if data:
            return save(ctx, spec, data, "wallpaper.png")
    return None


# ------------------------------------------------------------------ default applications

#: the video types OSWorld asks ``xdg-mime`` about (``video/<subtype>``)
VIDEO_TYPES = (
    "3gp", "3gpp", "3gpp2", "avi", "divx", "dv", "fli", "flv", "mp2t", "mp4", "mp4v-es", "mpeg", "mpeg-system",
    "msvideo", "ogg", "quicktime", "vnd.divx", "vnd.mpegurl", "vnd.rn-realvideo", "webm", "x-anim", "x-avi", "x-flc",
    "x-fli", "x-flv", "x-m4v", "x-matroska", "x-mpeg", "x-mpeg-system", "x-mpeg2", "x-ms-asf", "x-ms-asf-plugin",
    "x-ms-asx", "x-ms-wm", "x-ms-wmv", "x-ms-wmx", "x-ms-wvx", "x-msvideo", "x-nsv", "x-ogm", "x-ogm+ogg",
    "x-theora", "x-theora+ogg",
)
_APP_DIRS = (f"{HOME}/.local/share/applications", "/usr/local/share/applications", "/usr/share/applications")
#: association files in the order the freedesktop.org MIME-apps rules consult them
_LISTS = (f"{HOME}/.config/mimeapps.list", "/etc/xdg/mimeapps.list", f"{HOME}/.local/share/applications/mimeapps.list",
          *(f"{d}/{name}" for d in _APP_DIRS[1:] for name in ("mimeapps.list", "defaults.list")))


def _sections(text: str) -> dict[str, dict[str, list[str]]]:
    """``[Section] type=a.desktop;b.desktop;`` files as ``{section: {type: [desktop ids]}}`` (lenient)."""
    out: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = out.setdefault(line[1:-1], {})
        elif current is not None and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            current.setdefault(key.strip(), []).extend(v.strip() for v in value.split(";") if v.strip())
    return out


def default_apps(lists: list[str], caches: list[str], installed: set[str], mime_types: list[str]) -> dict[str, str]:
    """The desktop file each type opens with: the first installed ``Default Applications`` entry across
    ``lists`` (most important first), else the first installed one the ``mimeinfo.cache`` files list."""
    chosen: dict[str, str] = {}
    parsed = [_sections(text) for text in lists]
    cache = [_sections(text).get("MIME Cache", {}) for text in caches]
    for mime in mime_types:
        for section in parsed:
            hit = next((a for a in section.get("Default Applications", {}).get(mime, []) if a in installed), None)
            if hit:
                chosen[mime] = hit
                break
        else:
            for entries in cache:
                hit = next((a for a in entries.get(mime, []) if a in installed), None)
                if hit:
                    chosen[mime] = hit
                    break
    return chosen


@getter("default_video_player", params=NoFields)
def default_video_player(ctx: EvalContext, spec: Getter) -> str:
    """The desktop file most video types open with, as ``xdg-mime query default`` would say; ``"unknown"``."""
    texts = [read_guest_file(ctx, spec.type, path) for path in _LISTS]
    caches = [read_guest_file(ctx, spec.type, f"{d}/mimeinfo.cache") for d in _APP_DIRS]
    listing = ctx.guest.run(["find", *_APP_DIRS, "-maxdepth", "1", "-name", "*.desktop", "-printf", "%f\\n"],
                            shell=False, timeout=30)
    installed = {line for line in listing.stdout.splitlines() if line}
    chosen = default_apps([t.decode("utf-8", "replace") for t in texts if t],
                          [c.decode("utf-8", "replace") for c in caches if c], installed,
                          [f"video/{t}" for t in VIDEO_TYPES])
    if not chosen:
        return "unknown"
    return Counter(chosen.values()).most_common(1)[0][0]


# ------------------------------------------------------------------ VS Code


def _window_root(title: str, opened: set[str]) -> str | None:
    """The folder a VS Code window title names (``[editor - ]folder - Visual Studio Code``), if one is open."""
    parts = [p.strip() for p in title.split(" - ")]
    if not parts or parts[-1] != "Visual Studio Code":
        return None
    for part in reversed(parts[:-1]):
        if part.lstrip("●* ") in opened:
            return part.lstrip("●* ")
    return None


def _folder_name(uri: str) -> str:
    return PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(uri).path)).name


def opened_folders(ctx: EvalContext) -> tuple[set[str], str | None]:
    """Names of the folders VS Code has opened in this profile, and the one opened last if known.

    The browser-served VS Code (code-server) records the folder its last window
    asked for in ``coder.json``; the desktop app keeps a ``workspace.json`` per folder.
    """
    names: set[str] = set()
    last: str | None = None
    coder = read_guest_file(ctx, "vscode_config", f"{VSCODE_DATA}/coder.json", 65536)
    try:
        query = json.loads(coder or b"{}").get("query", {})
    except (ValueError, AttributeError):
        query = {}
    for key in ("folder", "workspace"):
        if isinstance(query, dict) and isinstance(query.get(key), str) and query[key]:
            last = _folder_name(query[key]) if key == "folder" else PurePosixPath(query[key]).stem
            names.add(last)
    listing = ctx.guest.run(["find", f"{VSCODE_DATA}/User/workspaceStorage", "-mindepth", "2", "-maxdepth", "2",
                             "-name", "workspace.json"], shell=False, timeout=30)
    for path in listing.stdout.splitlines()[:1000]:
        data = read_guest_file(ctx, "vscode_config", path, 65536)
        try:
            folder = json.loads(data or b"{}").get("folder")
        except (ValueError, AttributeError):
            continue
        if isinstance(folder, str):
            names.add(_folder_name(folder))
    return names, last


def open_project(ctx: EvalContext) -> str:
    """What OSWorld's VS Code extension command ``OpenProject`` writes: the name of the folder open in the
    VS Code window, the active one first ("" when no window shows a folder)."""
    opened, _last = opened_folders(ctx)
    windows = [w for w in ctx.guest.windows() if "code" in (w.wm_class[0].lower(), w.wm_class[1].lower())]
    windows.sort(key=lambda w: not w.active)
    for window in windows:
        root = _window_root(window.title, opened)
        if root is not None:
            return root
    return ""


#: extension commands of OSWorld's VS Code image that deskbench answers itself (no extension in the desktop)
KNOWN_COMMANDS = {"OpenProject": open_project}
PALETTE_WAIT_S = 5.0


@getter("vscode_config", params=VscodeConfigParams)
def vscode_config(ctx: EvalContext, spec: Getter) -> str | None:
    """The file an OSWorld VS Code extension command writes (``path``), copied as ``dest``.

    Commands in :data:`KNOWN_COMMANDS` are answered by deskbench from the
    window and VS Code's state, and the answer is what the file would hold.
    Any other command is run as OSWorld does (command palette: Ctrl+Shift+P,
    the command's name, Enter) and the file it writes is read once it
    appears (bounded wait); None when it does not.
    """
    command, path = spec.field("vscode_extension_command"), spec.field("path")
    if not isinstance(command, str) or not command or not isinstance(path, str) or not path:
        raise CheckerError("vscode_config: needs 'vscode_extension_command' and 'path' strings")
    if command in KNOWN_COMMANDS:
        return save(ctx, spec, KNOWN_COMMANDS[command](ctx).encode(), PurePosixPath(path).name)
    ctx.guest.input({"op": "key", "keys": "ctrl+shift+p"})
    time.sleep(0.5)  # the palette opens asynchronously; typing before it is there loses the first keys
    ctx.guest.input({"op": "type", "text": command}, {"op": "key", "keys": "Return"})
    deadline = time.monotonic() + PALETTE_WAIT_S
    while True:
        found = copy_file(ctx, spec, path)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


# ------------------------------------------------------------------ terminal and desktop


def _is_terminal(wm_class: tuple[str, str]) -> bool:
    names = " ".join(wm_class).lower()
    return "xterm" in names or "terminal" in names


@getter("vm_terminal_output", params=NoFields)
def vm_terminal_output(ctx: EvalContext, spec: Getter) -> str | None:
    """The text the terminal window shows (the active one, else the topmost), read by OCR from the screen.

    OSWorld reads GNOME Terminal's text through the accessibility tree; the
    desktop's xterm exposes none, so its visible text is read from a
    screenshot of the window with Tesseract.  None when no terminal is open.
    """
    from harness.checkers.metrics.ocr import read_lines

    terminals = [w for w in ctx.guest.windows() if _is_terminal(w.wm_class) and w.width > 0 and w.height > 0]
    if not terminals:
        return None
    window = next((w for w in terminals if w.active), terminals[-1])
    shot = ctx.guest.screenshot("png", pointer=False)
    image = Image.open(io.BytesIO(shot.data))
    box = (max(0, window.x), max(0, window.y), min(image.width, window.x + window.width),
           min(image.height, window.y + window.height))
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    return read_lines(image.crop(box))


@getter("shortcuts_on_desktop", params=NoFields)
def shortcuts_on_desktop(ctx: EvalContext, spec: Getter) -> dict[str, str]:
    """``{name: content}`` of every launcher (``*.desktop``) on the desktop folder."""
    listing = ctx.guest.run(["find", f"{HOME}/Desktop", "-maxdepth", "1", "-type", "f", "-name", "*.desktop",
                             "-printf", "%f\\n"], shell=False, timeout=30)
    shortcuts: dict[str, str] = {}
    for name in sorted(listing.stdout.splitlines())[:200]:
        data = read_guest_file(ctx, spec.type, f"{HOME}/Desktop/{name}", 1024 * 1024)
        if data is not None:
            shortcuts[name] = data.decode("utf-8", errors="replace")
    return shortcuts


@getter("time_diff_range", params=TimeRangeParams)
def time_diff_range(ctx: EvalContext, spec: Getter) -> Any:
    """The spec's ``diff_range_in_minutes`` (the metric compares a file's time with now within it)."""
    value = spec.require("diff_range_in_minutes")
    return value
