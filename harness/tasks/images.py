"""Which container image a task runs in.

An explicit ``image`` field wins.  Otherwise the applications the task uses
decide: its ``related_apps`` and its domain (OSWorld's folder name), whose
spellings vary ("libreoffice calc", "libreoffice_calc", "calc", "Chrome",
"google-chrome", "browser"...) and are normalized first.  The ``office``
image has LibreOffice and Chromium; everything else runs on the light
``desktop`` image, so a task pays for the large image only when it needs it.
A multi-application task (OSWorld's ``multi_apps``) runs on ``office``: most
of them open a document or a browser somewhere along the way.
"""

from __future__ import annotations

import re

from harness.tasks.schema import SetupStep, Task

DEFAULT_IMAGE = "desktop"
OFFICE_IMAGE = "office"
OSWORLD_IMAGE = "osworld"
# Lightest first: a task runs on the first of these that has every application it needs.
IMAGE_ORDER = (DEFAULT_IMAGE, OFFICE_IMAGE, OSWORLD_IMAGE)
SUDO = re.compile(r"\bsudo\b")

# Normalized spelling -> canonical application name.
APP_ALIASES: dict[str, str] = {
    "calc": "libreoffice_calc",
    "libreoffice_calc": "libreoffice_calc",
    "localc": "libreoffice_calc",
    "writer": "libreoffice_writer",
    "libreoffice_writer": "libreoffice_writer",
    "lowriter": "libreoffice_writer",
    "impress": "libreoffice_impress",
    "libreoffice_impress": "libreoffice_impress",
    "loimpress": "libreoffice_impress",
    "libreoffice": "libreoffice",
    "soffice": "libreoffice",
    "chrome": "chrome",
    "google_chrome": "chrome",
    "chromium": "chrome",
    "chromium_browser": "chrome",
    "browser": "chrome",
    "web_browser": "chrome",
    "pdf": "pdf",
    "multi_apps": "multi_apps",
    "vscode": "vscode",
    "vs_code": "vscode",
    "visual_studio_code": "vscode",
    "code": "vscode",
    "gimp": "gimp",
    "vlc": "vlc",
    "cvlc": "vlc",
    "ubuntu_media_player": "vlc",
    "thunderbird": "thunderbird",
    "nautilus": "nautilus",
    "sudo": "sudo",
    "os": "os",
    "ubuntu": "os",
}

# Canonical application -> the image that has it.  Anything not listed runs on the default image.
APP_IMAGES: dict[str, str] = {
    "libreoffice_calc": OFFICE_IMAGE,
    "libreoffice_writer": OFFICE_IMAGE,
    "libreoffice_impress": OFFICE_IMAGE,
    "libreoffice": OFFICE_IMAGE,
    "chrome": OFFICE_IMAGE,
    "pdf": OFFICE_IMAGE,  # opened in the browser there
    "multi_apps": OFFICE_IMAGE,
    "gimp": OSWORLD_IMAGE,
    "vlc": OSWORLD_IMAGE,
    "thunderbird": OSWORLD_IMAGE,
    "nautilus": OSWORLD_IMAGE,
    "vscode": OSWORLD_IMAGE,
    "sudo": OSWORLD_IMAGE,
}


def normalize_app(label: str) -> str:
    """One spelling per application: lower case, words joined by ``_``, known aliases mapped."""
    key = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    return APP_ALIASES.get(key, key)


def _steps(task: Task) -> list[SetupStep]:
    return [*task.config, *task.evaluator.postconfig]


def _command_words(step: SetupStep) -> list[str]:
    command = step.parameters.get("command", "")
    return [str(w) for w in command] if isinstance(command, list) else str(command).split()


def launched_apps(task: Task) -> set[str]:
    """Applications the task's own steps start (``launch``/``command``/``execute``: the program's base name),
    normalized; ``sudo`` when a command calls it anywhere (``echo password | sudo -S ...``)."""
    apps = set()
    for step in _steps(task):
        if step.type not in ("launch", "command", "execute"):
            continue
        words = _command_words(step)
        if words:
            apps.add(normalize_app(words[0].rsplit("/", 1)[-1]))
        if SUDO.search(" ".join(words)):
            apps.add("sudo")
    return apps


def task_apps(task: Task) -> set[str]:
    """The task's applications, normalized: its ``related_apps``, its domain and the programs it launches."""
    labels = [*task.related_apps, *([task.domain] if task.domain else [])]
    return {normalize_app(label) for label in labels if label.strip()} | launched_apps(task)


def runs_privileged(task: Task) -> bool:
    """Whether the task's desktop user may ``sudo`` (OSWorld's user model): its ``privileged_user`` field when
    set, else whether its own steps call ``sudo``.  Everything else runs unprivileged (no new privileges)."""
    if task.privileged_user is not None:
        return task.privileged_user
    return "sudo" in launched_apps(task)


def image_for_task(task: Task, default: str = DEFAULT_IMAGE) -> str:
    """The image the task runs in: ``task.image`` if set, else the lightest image with every application it
    needs (``office``, ``osworld``), else ``default`` (a run's ``--image``)."""
    if task.image:
        return task.image
    images = {APP_IMAGES[app] for app in task_apps(task) if app in APP_IMAGES}
    if runs_privileged(task):
        images.add(OSWORLD_IMAGE)
    for name in reversed(IMAGE_ORDER):
        if name in images and name != DEFAULT_IMAGE:
            return name
    return default
