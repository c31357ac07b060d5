"""Getters that take something out of a desktop file: a spreadsheet's last row, a slide's audio or background.

The file is copied to the host (capped) and opened here.  A presentation is a
zip archive the agent wrote, so its members are read with limits
(:data:`MEMBER_CAP`) and its XML without entities or network access.

Value shapes:

- ``content_from_vm_file`` (``file_type: xlsx``, ``file_content: last_row``):
  the last data row as strings (``"nan"`` for an empty cell, as pandas prints it)
- ``audio_in_slide`` / ``background_image_in_slide``: the path of a local copy
  of the media file (embedded in the archive, or linked with ``file://`` and
  read from the desktop), or None when the slide has none
"""

from __future__ import annotations

import posixpath
import urllib.parse
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import pandas as pd
from lxml import etree

from harness.checkers.context import EvalContext
from harness.checkers.getter_params import SlideParams, VmFileContentParams
from harness.checkers.getters_apps import read_guest_file, save
from harness.checkers.registry import getter
from harness.errors import CheckerError
from harness.sandbox.guest import MAX_FILE
from harness.tasks.schema import Getter

MEMBER_CAP = 256 * 1024 * 1024  # uncompressed bytes of one archive member read on the host
XML_CAP = 16 * 1024 * 1024
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_BG_PR = "{http://schemas.openxmlformats.org/presentationml/2006/main}bgPr"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _copy(ctx: EvalContext, name: str, path: Any) -> str | None:
    if not isinstance(path, str) or not path:
        raise CheckerError(f"{name}: missing field 'path'")
    data = read_guest_file(ctx, name, path, MAX_FILE)
    if data is None:
        return None
    local = ctx.cache_dir / "source" / PurePosixPath(path).name
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(data)
    return str(local)


@getter("content_from_vm_file", params=VmFileContentParams)
def content_from_vm_file(ctx: EvalContext, spec: Getter) -> list[str] | None:
    """Part of a desktop file's content; today a spreadsheet's last row (``xlsx``, ``last_row``)."""
    file_type, content = spec.field("file_type"), spec.field("file_content")
    if (file_type, content) != ("xlsx", "last_row"):
        raise CheckerError(f"content_from_vm_file: only file_type 'xlsx' with file_content 'last_row' is supported, "
                           f"got {file_type!r} / {content!r}")
    local = _copy(ctx, spec.type, spec.field("path"))
    if local is None:
        return None
    try:
        frame = pd.read_excel(local, engine="openpyxl")
    except (ValueError, OSError, KeyError, zipfile.BadZipFile):
        return None  # not a workbook: the agent's file
    if frame.empty:
        return None
    return [str(v) for v in frame.iloc[-1].tolist()]


def _member(archive: zipfile.ZipFile, name: str, cap: int) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > cap:
        return None
    with archive.open(info) as handle:
        return handle.read(cap + 1)[:cap]


def _xml(archive: zipfile.ZipFile, name: str) -> Any:
    data = _member(archive, name, XML_CAP)
    if data is None:
        return None
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None


def _relationships(archive: zipfile.ZipFile, slide: int) -> list[dict[str, str]]:
    root = _xml(archive, f"ppt/slides/_rels/slide{slide}.xml.rels")
    if root is None:
        return []
    return [{k: str(v) for k, v in rel.attrib.items()} for rel in root.iter(_REL)]


def _media(ctx: EvalContext, spec: Getter, archive: zipfile.ZipFile, target: str, default: str) -> str | None:
    """The file a relationship targets: a member of the archive (relative target) or a linked desktop file."""
    if target.startswith("file://"):
        data = read_guest_file(ctx, spec.type, urllib.parse.unquote(urllib.parse.urlsplit(target).path), MAX_FILE)
    else:
        member = posixpath.normpath(posixpath.join("ppt/slides", target)).lstrip("/")
        data = _member(archive, member, MEMBER_CAP)
    return None if data is None else save(ctx, spec, data, default)


def _in_slide(ctx: EvalContext, spec: Getter, find: Callable[[zipfile.ZipFile, int], str | None]) -> str | None:
    """``find(archive, slide number from 1)`` on the copied presentation; None when it is missing or no zip."""
    index = spec.field("slide_index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise CheckerError(f"{spec.type}: 'slide_index' must be a number from 0, got {index!r}")
    local = _copy(ctx, spec.type, spec.field("ppt_file_path"))
    if local is None:
        return None
    try:
        archive = zipfile.ZipFile(local)
    except (zipfile.BadZipFile, OSError):
        return None  # not a presentation: the agent's file
    with archive:
        return find(archive, index + 1)


@getter("audio_in_slide", params=SlideParams)
def audio_in_slide(ctx: EvalContext, spec: Getter) -> str | None:
    """The first audio the slide (``slide_index`` from 0) links to, copied as ``dest``."""
    def find(archive: zipfile.ZipFile, slide: int) -> str | None:
        for rel in _relationships(archive, slide):
            if "audio" in rel.get("Type", "") and rel.get("Target"):
                return _media(ctx, spec, archive, rel["Target"], "audio")
        return None
    return _in_slide(ctx, spec, find)


@getter("background_image_in_slide", params=SlideParams)
def background_image_in_slide(ctx: EvalContext, spec: Getter) -> str | None:
    """The slide's background picture (the image its background fill embeds), copied as ``dest``."""
    def find(archive: zipfile.ZipFile, slide: int) -> str | None:
        root = _xml(archive, f"ppt/slides/slide{slide}.xml")
        if root is None:
            return None
        embed = next((blip.get(_EMBED) for bg in root.iter(_BG_PR) for blip in bg.iter(_BLIP) if blip.get(_EMBED)),
                     None)
        if embed is None:
            return None
        for rel in _relationships(archive, slide):
            if rel.get("Id") == embed and "image" in rel.get("Type", "") and rel.get("Target"):
                return _media(ctx, spec, archive, rel["Target"], "background")
        return None
    return _in_slide(ctx, spec, find)
