"""Render assets/favicon.png: a 64x64 ring with two eigen-axes (stdlib PNG writer, no Pillow).

A local favicon keeps the app offline: st.set_page_config with a material icon makes the browser
fetch an SVG from the internet. Run: python scripts/make_favicon.py (deterministic, no seed).
"""
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def rgba_png(img: np.ndarray) -> bytes:
    """Encode an (h, w, 4) uint8 array as PNG bytes."""
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[row].tobytes() for row in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def favicon(size: int = 64) -> np.ndarray:
    y, x = (np.mgrid[0:size, 0:size] + 0.5) / size * 2 - 1
    # an ellipse (a covariance's level set) and its two principal axes, tilted 30 degrees
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    u, v = c * x + s * y, -s * x + c * y
    r = np.sqrt((u / 0.9) ** 2 + (v / 0.5) ** 2)
    ring = np.abs(r - 0.85) < 0.09
    axes = ((np.abs(v) < 0.05) & (np.abs(u) < 0.8)) | ((np.abs(u) < 0.05) & (np.abs(v) < 0.45))
    img = np.zeros((size, size, 4), np.uint8)
    img[ring] = (0x4C, 0x6E, 0xF5, 255)
    img[axes] = (0xF7, 0x67, 0x07, 255)
    return img


def main() -> None:
    path = ROOT / "assets" / "favicon.png"
    path.write_bytes(rgba_png(favicon()))
    import manifest  # scripts/manifest.py
    manifest.record([path], script="scripts/make_favicon.py", seed="-")
    print(path, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
