"""Rewrite files the way LibreOffice saves them: a batch conversion inside the deskbench/office image.

The host has no LibreOffice; the image that the episodes run in does, so a
round trip there is what an agent's "save" produces (cached formula values,
LibreOffice's own styles and defaults).  One container converts a whole
folder at once, which keeps the cost to one LibreOffice start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

IMAGE = "deskbench/office"
FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "docx": "docx:MS Word 2007 XML",
           "pptx": "pptx:Impress MS PowerPoint 2007 XML"}


def libreoffice_saved(files: list[Path], out: Path, timeout: float = 300) -> dict[Path, Path]:
    """Each file re-saved by LibreOffice into ``out`` (same name); a file it could not convert is left out."""
    if not files:
        return {}
    stage = out / "in"
    stage.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(files):
        shutil.copy(f, stage / f"{i}{f.suffix}")
    os.chmod(out, 0o777)
    os.chmod(stage, 0o777)
    by_ext: dict[str, list[str]] = {}
    for i, f in enumerate(files):
        by_ext.setdefault(f.suffix[1:], []).append(f"/data/in/{i}{f.suffix}")
    script = "; ".join(
        f"soffice --headless --norestore -env:UserInstallation=file:///tmp/lo --convert-to '{FILTERS[ext]}' "
        f"--outdir /data/out {' '.join(names)}" for ext, names in by_ext.items())
    subprocess.run(["docker", "run", "--rm", "--network", "none", "-e", "HOME=/tmp", "-e", "SAL_USE_VCLPLUGIN=svp",
                    "-v", f"{out}:/data", "--entrypoint", "sh", IMAGE, "-c", script],
                   check=True, capture_output=True, timeout=timeout)
    saved = {}
    for i, f in enumerate(files):
        converted = out / "out" / f"{i}{f.suffix}"
        if converted.is_file():
            saved[f] = converted
    return saved
