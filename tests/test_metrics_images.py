"""Image metrics on small real images made with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from harness.checkers.metrics.images import (
    check_brightness_decrease_and_structure_sim,
    check_contrast_increase_and_structure_sim,
    check_green_background,
    check_image_file_size,
    check_image_mirror,
    check_image_size,
    check_palette_and_structure_sim,
    check_saturation_increase_and_structure_sim,
    check_structure_sim,
    check_structure_sim_resized,
    check_textbox_on_leftside,
    check_triangle_position,
    compare_image_list,
    compare_images,
    ssim,
)
from harness.checkers.semantics import ReferenceCrash, scoring_under
from harness.errors import CheckerError


def scene(size: tuple[int, int] = (64, 48), shift: int = 0, colour: str = "orange") -> Image.Image:
    """A picture with structure: gradient background, a rectangle and a circle."""
    w, h = size
    base = np.zeros((h, w, 3), dtype=np.uint8)
    base[..., 0] = np.linspace(40, 200, w, dtype=np.uint8)[None, :]
    base[..., 2] = np.linspace(200, 40, h, dtype=np.uint8)[:, None]
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    draw.rectangle((8 + shift, 8, 28 + shift, 30), fill=colour)
    draw.ellipse((36, 10, 56, 30), fill="navy")
    return image


def save(image: Image.Image, path: Path) -> str:
    image.save(path)
    return str(path)


def test_ssim_identity_and_shape_checks() -> None:
    a = np.asarray(scene())
    assert ssim(a, a, channels_last=True) == pytest.approx(1.0)
    assert ssim(a, a[:-1], channels_last=True) is None
    assert ssim(a[:5, :5], a[:5, :5], channels_last=True) is None
    noisy = np.clip(a.astype(int) + np.random.default_rng(1).integers(-60, 60, a.shape), 0, 255).astype(np.uint8)
    value = ssim(a, noisy, channels_last=True)
    assert value is not None and value < 0.9


def test_compare_images(tmp_path: Path) -> None:
    gold = save(scene(), tmp_path / "gold.png")
    assert compare_images(save(scene(), tmp_path / "same.png"), gold) == pytest.approx(1.0)
    assert compare_images(save(scene(shift=20), tmp_path / "moved.png"), gold) < 0.95
    assert compare_images(None, gold) == 0.0
    assert compare_images(save(scene(shift=2), tmp_path / "near.png"), gold, reference_base_result=0.99) == 0.0
    with pytest.raises(CheckerError, match="compare_images"):
        compare_images(gold, str(tmp_path / "absent.png"))


def test_structure_sim(tmp_path: Path) -> None:
    gold = save(scene(), tmp_path / "gold.png")
    assert check_structure_sim(save(scene(), tmp_path / "a.png"), gold) == 1.0
    assert check_structure_sim(save(scene(shift=20), tmp_path / "b.png"), gold) == 0.0
    assert check_structure_sim(save(scene(size=(60, 48)), tmp_path / "c.png"), gold) == 0.0
    (tmp_path / "junk.png").write_text("not an image")
    assert check_structure_sim(str(tmp_path / "junk.png"), gold) == 0.0


def test_structure_sim_resized(tmp_path: Path) -> None:
    gold = save(scene(), tmp_path / "gold.png")
    assert check_structure_sim_resized(save(scene().resize((128, 96)), tmp_path / "big.png"), gold) == 1.0
    assert check_structure_sim_resized(save(scene(shift=20).resize((128, 96)), tmp_path / "moved.png"), gold) == 0.0


def test_brightness_decrease(tmp_path: Path) -> None:
    original = save(scene(), tmp_path / "orig.png")
    darker = scene().point(lambda v: int(v * 0.7))
    assert check_brightness_decrease_and_structure_sim(save(darker, tmp_path / "dark.png"), original) == 1.0
    brighter = scene().point(lambda v: min(255, int(v * 1.2)))
    assert check_brightness_decrease_and_structure_sim(save(brighter, tmp_path / "bright.png"), original) == 0.0
    other = Image.new("RGB", (64, 48), (10, 10, 10))
    assert check_brightness_decrease_and_structure_sim(save(other, tmp_path / "other.png"), original) == 0.0


def test_saturation_and_contrast(tmp_path: Path) -> None:
    from PIL import ImageEnhance

    muted = Image.blend(scene(), Image.new("RGB", (64, 48), (128, 128, 128)), 0.5)
    original = save(muted, tmp_path / "orig.png")
    vivid = ImageEnhance.Color(muted).enhance(1.5)
    dull = ImageEnhance.Color(muted).enhance(0.5)
    assert check_saturation_increase_and_structure_sim(save(vivid, tmp_path / "vivid.png"), original) == 1.0
    assert check_saturation_increase_and_structure_sim(save(dull, tmp_path / "dull.png"), original) == 0.0
    sharp = ImageEnhance.Contrast(muted).enhance(1.4)
    flat = ImageEnhance.Contrast(muted).enhance(0.6)
    assert check_contrast_increase_and_structure_sim(save(sharp, tmp_path / "sharp.png"), original) == 1.0
    assert check_contrast_increase_and_structure_sim(save(flat, tmp_path / "flat.png"), original) == 0.0


def test_palette_and_mirror(tmp_path: Path) -> None:
    original = save(scene(), tmp_path / "orig.png")
    indexed = scene().convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
    assert check_palette_and_structure_sim(save(indexed, tmp_path / "p.png"), original) == 1.0
    assert check_palette_and_structure_sim(save(scene(), tmp_path / "rgb.png"), original) == 0.0
    mirrored = scene().transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert check_image_mirror(save(mirrored, tmp_path / "m.png"), original) == 1.0
    assert check_image_mirror(save(scene(), tmp_path / "n.png"), original) == 0.0


def test_green_background(tmp_path: Path) -> None:
    reference = Image.new("RGB", (20, 10), "white")
    ImageDraw.Draw(reference).rectangle((5, 2, 9, 6), fill="black")
    green = Image.new("RGB", (20, 10), (10, 200, 10))
    ImageDraw.Draw(green).rectangle((5, 2, 9, 6), fill="black")
    ref = save(reference, tmp_path / "ref.png")
    with pytest.raises(ReferenceCrash):  # osworld: OSWorld indexes [x, y] and fails on a wide picture
        check_green_background(save(green, tmp_path / "g.png"), ref)
    with scoring_under("strict"):  # deviation green-background-axes
        assert check_green_background(save(green, tmp_path / "g.png"), ref) == 1.0
        assert check_green_background(save(reference, tmp_path / "w.png"), ref) == 0.0


def test_triangle_and_textbox_positions(tmp_path: Path) -> None:
    def triangle(x: int) -> Image.Image:
        image = Image.new("RGB", (100, 100), "white")
        ImageDraw.Draw(image).polygon([(x - 10, 60), (x + 10, 60), (x, 40)], fill="yellow")
        return image

    assert check_triangle_position(save(triangle(50), tmp_path / "c.png")) == 1.0
    assert check_triangle_position(save(triangle(20), tmp_path / "l.png")) == 0.0

    def text_at(x: int) -> Image.Image:
        image = Image.new("RGB", (100, 40), "white")
        ImageDraw.Draw(image).text((x, 10), "Hi", fill="black")
        return image

    assert check_textbox_on_leftside(save(text_at(1), tmp_path / "t1.png")) == 1.0
    assert check_textbox_on_leftside(save(text_at(50), tmp_path / "t2.png")) == 0.0


def test_image_size_and_file_size(tmp_path: Path) -> None:
    path = save(scene(size=(128, 64)), tmp_path / "s.png")
    assert check_image_size(path, {"width": 128, "height": 64}) == 1.0
    assert check_image_size(path, {"height": 128}) == 0.0
    with pytest.raises(CheckerError, match="check_image_size"):
        check_image_size(path, {"depth": 3})
    transparent = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(transparent).rectangle((10, 10, 59, 29), fill=(255, 0, 0, 255))
    cut = save(transparent, tmp_path / "cut.png")
    assert check_image_size(cut, {"width": 50, "height": 20, "ignore_transparent": True}) == 1.0
    assert check_image_size(cut, {"width": 50, "height": 20}) == 0.0
    size = Path(path).stat().st_size
    assert check_image_file_size(path, {"max_size": size + 1}) == 1.0
    assert check_image_file_size(path, {"max_size": size}) == 0.0


def test_compare_image_list(tmp_path: Path) -> None:
    golds = [save(scene(), tmp_path / "g1.png"), save(scene(colour="red"), tmp_path / "g2.png")]
    same = [save(scene(), tmp_path / "a1.png"), save(scene(colour="red"), tmp_path / "a2.png")]
    assert compare_image_list(same, golds) == 1.0
    swapped = list(reversed(same))
    assert compare_image_list(swapped, golds) == 0.0
    assert compare_image_list(same[:1], golds) == 0.0
