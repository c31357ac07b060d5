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

from harness.tasks.schema import Task

DEFAULT_IMAGE = "desktop"
OFFICE_IMAGE = "office"

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
    "code": "vscode",
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
}


def normalize_app(label: str) -> str:
    """One spelling per application: lower case, words joined by ``_``, known aliases mapped."""
    key = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    return APP_ALIASES.get(key, key)


def task_apps(task: Task) -> set[str]:
    """The task's applications, normalized: its ``related_apps`` and its domain."""
    labels = [*task.related_apps, *([task.domain] if task.domain else [])]
    return {normalize_app(label) for label in labels if label.strip()}


def image_for_task(task: Task, default: str = DEFAULT_IMAGE) -> str:
    """The image the task runs in: ``task.image`` if set, else ``office`` when any of its applications
    needs it, else ``default`` (a run's ``--image``)."""
    if task.image:
        return task.image
    images = {APP_IMAGES[app] for app in task_apps(task) if app in APP_IMAGES}
    return OFFICE_IMAGE if OFFICE_IMAGE in images else default
