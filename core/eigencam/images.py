"""The user's own image for the Eigen-CAM page: checked, decoded with Pillow, cropped and resized.

Only PNG and JPEG are accepted, at most MAX_BYTES and MAX_SIDE pixels a side (the header is read before any
pixel is decoded, so a decompression bomb is refused without being expanded). An alpha channel is
composited on white, CMYK/palette/grey images are converted, and every such change is reported as a note.
"""
from __future__ import annotations

import io

import numpy as np

MAX_BYTES = 8_000_000
MAX_SIDE = 4096
FORMATS = ("PNG", "JPEG")


class ImageError(ValueError):
    """The upload cannot be used; the message says why, for the page."""


def prepare(data: bytes, size: int = 64, grey: bool = False) -> tuple[np.ndarray, list[str]]:
    """(C, size, size) float32 in [0, 1] (C = 1 when ``grey``, else 3) and notes on what was changed."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError("the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageError(f"the file is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
    try:
        img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise ImageError("this is not a PNG or JPEG image") from err
    if img.format not in FORMATS:
        raise ImageError(f"the file is {img.format or 'an unknown format'}; only PNG and JPEG are accepted")
    w, h = img.size
    if max(w, h) > MAX_SIDE:
        raise ImageError(f"the image is {w} x {h} pixels; at most {MAX_SIDE} pixels a side are accepted")
    if min(w, h) < 8:
        raise ImageError(f"the image is {w} x {h} pixels; it needs at least 8 pixels a side")
    notes = []
    try:
        img.load()
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise ImageError(f"the image cannot be decoded ({err})") from err
    bands = len(img.getbands())
    if "A" in img.getbands() or img.mode == "P" and "transparency" in img.info:
        notes.append(f"the image has {bands} channels (with transparency): the alpha channel was composited on white")
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    elif img.mode not in ("RGB", "L"):
        notes.append(f"the image's mode {img.mode} ({bands} channels) was converted to RGB")
    img = img.convert("L" if grey else "RGB")
    side = min(w, h)
    if w != h:
        notes.append(f"the {w} x {h} image was centre-cropped to {side} x {side}")
    left, top = (w - side) // 2, (h - side) // 2
    img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BOX)
    array = np.asarray(img, dtype=np.float32) / 255.0
    return (array[None] if grey else array.transpose(2, 0, 1)).copy(), notes
