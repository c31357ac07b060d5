"""Image metrics: structural similarity (SSIM) against a gold image, and simple pixel properties.

SSIM is computed here with numpy/scipy, the same way as scikit-image's
default ``structural_similarity`` (7x7 uniform window, K1=0.01, K2=0.03,
sample covariance, data range from the pixel type, mean over the window
centres that fit): the benchmark's thresholds (0.9, 0.99, 0.65) were tuned
on that definition.  Images whose sizes or modes differ cannot be compared
pixel by pixel and score 0, as do result files that are missing or not images.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageChops
from scipy.ndimage import uniform_filter

from harness.checkers.metrics._common import expected_path, fail, normalized_score, option, result_path, rules_of
from harness.checkers.registry import metric
from harness.checkers.semantics import ReferenceCrash, corrects

Array = NDArray[Any]
_WINDOW = 7


def ssim(a: Array, b: Array, channels_last: bool = False) -> float | None:
    """Mean structural similarity of two equally shaped arrays; None when they cannot be compared.

    With ``channels_last`` the last axis holds channels (each compared on its
    own and averaged), as the benchmark does for every array it passes,
    including 2-D greyscale ones, whose columns then count as channels.
    """
    if a.shape != b.shape or a.ndim < 1:
        return None
    spatial = a.shape[:-1] if channels_last else a.shape
    if not spatial or min(spatial) < _WINDOW:
        return None
    data_range = _data_range(a.dtype)
    x, y = a.astype(np.float64), b.astype(np.float64)
    size = [_WINDOW] * len(spatial) + ([1] if channels_last else [])
    n = _WINDOW ** len(spatial)
    cov_norm = n / (n - 1)
    ux, uy = uniform_filter(x, size=size), uniform_filter(y, size=size)
    vx = cov_norm * (uniform_filter(x * x, size=size) - ux * ux)
    vy = cov_norm * (uniform_filter(y * y, size=size) - uy * uy)
    vxy = cov_norm * (uniform_filter(x * y, size=size) - ux * uy)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    pad = (_WINDOW - 1) // 2
    crop = tuple(slice(pad, dim - pad) for dim in spatial) + ((slice(None),) if channels_last else ())
    return float(s[crop].mean())


def _data_range(dtype: np.dtype[Any]) -> float:
    if dtype == np.bool_:
        return 1.0
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return float(info.max) - float(min(info.min, 0))
    return 1.0


def _similar(a: Image.Image, b: Image.Image, threshold: float = 0.9) -> bool:
    """The benchmark's structure check: SSIM of the raw pixel arrays (channels last) at or above a threshold."""
    value = ssim(np.asarray(a), np.asarray(b), channels_last=True)
    return value is not None and value >= threshold


def _load(path: Any) -> Image.Image | None:
    """The agent's image, or None when it is missing or unreadable."""
    local = result_path(path)
    if local is None:
        return None
    try:
        image = Image.open(local)
        image.load()
        return image
    except OSError:
        return None


def _gold(metric_name: str, path: Any) -> Image.Image:
    local = expected_path(metric_name, path)
    try:
        image = Image.open(local)
        image.load()
        return image
    except OSError as exc:
        raise fail(metric_name, f"cannot open the expected image {local}: {exc}") from None


@metric("compare_images")
def compare_images(result: Any, expected: Any, reference_base_result: float | None = None) -> float:
    """Greyscale SSIM of two images after resizing both to the smaller size (partial credit).

    With ``reference_base_result`` (the similarity of an unedited image) the
    score is rescaled so that baseline scores 0 and identity 1.
    """
    if reference_base_result is not None:
        option("compare_images", "reference_base_result", reference_base_result, (int, float))
    gold = _gold("compare_images", expected)
    image = _load(result)
    if image is None:
        return 0.0
    a, b = image.convert("L"), gold.convert("L")
    size = min(a.size, b.size)
    a, b = a.resize(size, Image.Resampling.LANCZOS), b.resize(size, Image.Resampling.LANCZOS)
    value = ssim(np.asarray(a), np.asarray(b))
    if value is None:
        return 0.0
    value = max(0.0, min(1.0, value))
    return value if reference_base_result is None else normalized_score(value, float(reference_base_result))


@metric("check_structure_sim")
def check_structure_sim(result: Any, expected: Any) -> float:
    """1 when the result image is structurally the gold image (SSIM >= 0.9 on the raw pixels)."""
    gold = _gold("check_structure_sim", expected)
    image = _load(result)
    return 0.0 if image is None else float(_similar(image, gold))


@metric("check_structure_sim_resized")
def check_structure_sim_resized(result: Any, expected: Any) -> float:
    """1 when the result, cropped to its opaque content and resized to the gold's size, is structurally the gold."""
    gold = _gold("check_structure_sim_resized", expected)
    image = _load(result)
    if image is None:
        return 0.0
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        image = image.convert("RGBA")
        box = image.getchannel("A").getbbox()
        if box is None:
            return 0.0
        image = image.crop(box).convert("RGB")
    image = image.resize(gold.size)
    return float(_similar(image, gold.convert("RGB") if gold.mode != "RGB" else gold))


@metric("check_file_exists_and_structure_sim")
def check_file_exists_and_structure_sim(result: Any, expected: Any) -> float:
    """1 when the exported file exists and is structurally the original image."""
    return check_structure_sim(result, expected)


def _brightness(image: Image.Image) -> float:
    return float(np.asarray(image.convert("L"), dtype=np.float64).mean())


def _to_brightness(image: Image.Image, target: float) -> Image.Image:
    current = _brightness(image)
    factor = target / current if current else 0.0
    return image.point(lambda x: min(255, max(0, int(x * factor))))


@metric("check_brightness_decrease_and_structure_sim")
def check_brightness_decrease_and_structure_sim(result: Any, expected: Any, threshold: float = 0.03) -> float:
    """1 when the result is darker than the original and, both scaled to the same mean brightness, differs
    from it by a mean squared error (on 0-1 pixels) below ``threshold``: darker, but the same picture."""
    option("check_brightness_decrease_and_structure_sim", "threshold", threshold, (int, float))
    original = _gold("check_brightness_decrease_and_structure_sim", expected)
    image = _load(result)
    if image is None:
        return 0.0
    if not _brightness(original) > _brightness(image):
        return 0.0
    normalised = _to_brightness(image, 128)
    if normalised.size != original.size and not corrects("brightness-same-size"):
        normalised = normalised.resize(original.size, Image.Resampling.LANCZOS)  # OSWorld scales the result first
    a = np.asarray(normalised, dtype=np.float32) / 255
    b = np.asarray(_to_brightness(original, 128), dtype=np.float32) / 255
    if a.shape != b.shape:
        return 0.0
    return float(float(np.mean((a - b) ** 2)) < threshold)


def _channel(image: Image.Image, index: int) -> Array:
    return np.asarray(image.convert("HSV").split()[index])


@metric("check_saturation_increase_and_structure_sim")
def check_saturation_increase_and_structure_sim(result: Any, expected: Any) -> float:
    """1 when the result is more saturated than the original while hue and value keep their structure."""
    original = _gold("check_saturation_increase_and_structure_sim", expected)
    image = _load(result)
    if image is None:
        return 0.0
    if not float(_channel(image, 1).mean()) > float(_channel(original, 1).mean()):
        return 0.0
    for index in (0, 2):
        value = ssim(_channel(image, index), _channel(original, index), channels_last=True)
        if value is None or value < 0.9:
            return 0.0
    return 1.0


@metric("check_contrast_increase_and_structure_sim")
def check_contrast_increase_and_structure_sim(result: Any, expected: Any) -> float:
    """1 when the result has more contrast (pixel standard deviation) than the original and SSIM >= 0.65."""
    original = _gold("check_contrast_increase_and_structure_sim", expected)
    image = _load(result)
    if image is None:
        return 0.0
    more = float(np.std(np.asarray(image, dtype=np.float32))) > float(np.std(np.asarray(original, dtype=np.float32)))
    return float(more and _similar(image, original, 0.65))


@metric("check_palette_and_structure_sim")
def check_palette_and_structure_sim(result: Any, expected: Any) -> float:
    """1 when the result uses a palette (indexed colour) and still looks like the original."""
    original = _gold("check_palette_and_structure_sim", expected)
    image = _load(result)
    if image is None:
        return 0.0
    return float(image.mode == "P" and _similar(image.convert("RGB"), original))


@metric("check_image_mirror")
def check_image_mirror(result: Any, expected: Any) -> float:
    """1 when the result is the original flipped left to right (SSIM >= 0.99 after flipping it back)."""
    original = _gold("check_image_mirror", expected)
    image = _load(result)
    if image is None:
        return 0.0
    return float(_similar(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), original, 0.99))


@metric("check_green_background")
def check_green_background(result: Any, expected: Any) -> float:
    """1 when every pixel that is not black in the reference is green-dominant in the result (g > r, g > b)."""
    reference = _gold("check_green_background", expected)
    image = _load(result)
    if image is None:
        return 0.0
    a = np.asarray(image.convert("RGB"), dtype=np.int32)
    b = np.asarray(reference.convert("RGB"), dtype=np.int32)
    if not corrects("green-background-axes"):
        return _green_as_osworld(a, b, reference.size)
    if a.shape != b.shape:
        return 0.0
    background = np.any(b != 0, axis=2)
    green = (a[..., 1] > a[..., 0]) & (a[..., 1] > a[..., 2])
    return float(bool(np.all(green[background])))


def _green_as_osworld(a: Array, b: Array, size: tuple[int, int]) -> float:
    """OSWorld indexes the pixel arrays [x, y] (they are [row, column]): a transposed check, IndexError when the
    picture is wider than tall, as a published run scored it."""
    width, height = size
    xs, ys = np.meshgrid(np.arange(width), np.arange(height), indexing="ij")
    if width > min(b.shape[0], a.shape[0]) or height > min(b.shape[1], a.shape[1]):
        raise ReferenceCrash(f"OSWorld's check_green_background indexes a {height}x{width} picture [x, y] "
                             "(IndexError)")
    background = np.any(b[xs, ys] != 0, axis=2)
    pa = a[xs, ys]
    green = (pa[..., 1] > pa[..., 0]) & (pa[..., 1] > pa[..., 2])
    return float(bool(np.all(green[background])))


@metric("check_triangle_position")
def check_triangle_position(result: Any, expected: Any = None) -> float:
    """1 when the second most common colour (the drawn shape) has its centroid within 5% of the image centre."""
    image = _load(result)
    if image is None:
        return 0.0
    pixels = np.asarray(image.convert("RGB"))
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    if len(colours) < 2:
        return 0.0
    shape_colour = colours[np.argsort(counts)][-2]
    where = np.argwhere(np.all(pixels == shape_colour, axis=2))
    centre, size = np.array(pixels.shape[:2]) / 2, np.array(pixels.shape[:2])
    return float(bool(np.all(np.abs(where.mean(axis=0) - centre) < 0.05 * size)))


@metric("check_textbox_on_leftside")
def check_textbox_on_leftside(result: Any, expected: Any = None) -> float:
    """1 when the leftmost dark pixel (grey < 128, i.e. text) lies in the left 5% of the image."""
    image = _load(result)
    if image is None:
        return 0.0
    dark = np.asarray(image.convert("L")) < 128
    columns = np.flatnonzero(dark.any(axis=0))
    leftmost = int(columns[0]) if columns.size else image.width
    return float(leftmost < image.width * 0.05)


@metric("check_image_size")
def check_image_size(result: Any, expected: Any) -> float:
    """1 when the image has ``rules.width`` and/or ``rules.height`` pixels; with ``ignore_transparent`` the
    size of the non-transparent content counts."""
    rules = rules_of("check_image_size", expected)
    if "width" not in rules and "height" not in rules:
        raise fail("check_image_size", "rules need 'width' or 'height'")
    image = _load(result)
    if image is None:
        return 0.0
    width, height = image.size
    if rules.get("ignore_transparent", False) and (image.mode in ("RGBA", "LA") or "transparency" in image.info):
        box = image.convert("RGBA").getchannel("A").getbbox()
        width, height = (box[2] - box[0], box[3] - box[1]) if box else (0, 0)
    return float(rules.get("width", width) == width and rules.get("height", height) == height)


@metric("check_image_file_size")
def check_image_file_size(result: Any, expected: Any) -> float:
    """1 when the file is smaller than ``rules.max_size`` bytes."""
    limit = rules_of("check_image_file_size", expected, "max_size")["max_size"]
    path = result_path(result)
    return 0.0 if path is None else float(os.path.getsize(path) < limit)


@metric("compare_image_list")
def compare_image_list(result: Any, expected: Any) -> float:
    """1 when each result image is pixel-identical to the gold image at the same position."""
    mine = result if isinstance(result, list) else [result]
    golds = expected if isinstance(expected, list) else [expected]
    if len(mine) != len(golds):
        return 0.0
    for path, gold_path in zip(mine, golds, strict=True):
        gold = _gold("compare_image_list", gold_path)
        image = _load(path)
        if image is not None and not corrects("image-list-same-size"):  # OSWorld scales and converts first
            image = image.resize(gold.size, Image.Resampling.LANCZOS) if image.size != gold.size else image
            image = image.convert(gold.mode) if image.mode != gold.mode else image
        if image is None or image.size != gold.size or image.mode != gold.mode:
            return 0.0
        if ImageChops.difference(image, gold).getbbox() is not None:
            return 0.0
    return 1.0
