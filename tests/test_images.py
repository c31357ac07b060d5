"""Image tags follow content; an unchanged image is not rebuilt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.sandbox import images


def test_folder_digest_follows_content_and_names(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    first = images.folder_digest(tmp_path)
    assert images.folder_digest(tmp_path) == first
    (tmp_path / "guest.py").write_text("print(1)\n")
    second = images.folder_digest(tmp_path)
    assert second != first
    (tmp_path / "guest.py").rename(tmp_path / "other.py")
    assert images.folder_digest(tmp_path) != second


def test_known_images_read_parents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(images.envs_dir() / "desktop", tmp_path / "desktop")
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "Dockerfile").write_text("ARG BASE\nFROM ${BASE}\n")
    (tmp_path / "child" / "image.json").write_text('{"parent": "desktop"}')
    monkeypatch.setenv("DESKBENCH_ENVS", str(tmp_path))
    specs = images.known_images()
    assert specs["desktop"].parent == "base" and specs["child"].parent == "desktop"


def test_host_mirror_is_read_from_apt_sources() -> None:
    mirror = images.host_debian_mirror()
    assert mirror.startswith(("http://", "https://")) and "security" not in mirror


@pytest.mark.docker
def test_second_build_is_a_no_op(desktop_image: str) -> None:
    tag, built = images.build_image("desktop")
    assert (tag, built) == (desktop_image, False)
    assert images.resolve_image("desktop") == tag
    assert tag.startswith("deskbench/desktop:") and len(tag.split(":")[1]) == 12


@pytest.mark.parametrize("name", ["desktop", "office", "osworld"])
def test_declared_programs_are_on_the_path(name: str, desktop_image: str, office_image: str,
                                           osworld_image: str) -> None:
    """image.json's "programs" decide which tasks the report calls runnable; each must really be there."""
    import docker

    declared = sorted(images.image_programs(name))
    assert "xterm" in declared and (name == "desktop" or "libreoffice" in declared)
    script = "for p in " + " ".join(declared) + "; do command -v $p >/dev/null || echo MISSING $p; done"
    out = docker.from_env().containers.run(images.resolve_image(name), ["bash", "-c", script], entrypoint="",
                                           remove=True, user="1000")
    assert out.decode().split() == []
