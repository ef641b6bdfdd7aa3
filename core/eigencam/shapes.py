"""Procedural 64x64 scenes with ground truth: one coloured shape on textured clutter (Eigen-CAM page).

Muhammad & Yeasin, "Eigen-CAM" (IJCNN 2020) score saliency maps on ILSVRC boxes (weakly supervised
localisation). No ImageNet CNN can be downloaded here, so the page trains its own small CNN on scenes whose
renderer returns the exact pixel mask of the object that carries the label: localisation is then measured,
not eyeballed.

A scene:
    background  smooth random sinusoids per colour channel + random thin line segments (clutter) + noise
    object      circle / square / triangle (the class), random saturated colour, size, position, rotation
    distractor  with probability ``distractor``: a plus sign or a ring of another colour, never in the mask

Everything is drawn for the whole batch at once with numpy broadcasting (one ``(n, 64, 64)`` grid), seeded by
``np.random.default_rng(seed)``: the same seed gives the same scenes on every machine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES = ("circle", "square", "triangle")
SIZE = 64
RADIUS = (6.0, 11.0)        # object half-size in pixels
N_WAVES = 3                 # sinusoids per colour channel in the background
N_LINES = 6                 # clutter segments per image


@dataclass
class Scenes:
    images: np.ndarray      # (n, 3, 64, 64) float32 in [0, 1]
    labels: np.ndarray      # (n,) int64 class index into CLASSES
    masks: np.ndarray       # (n, 64, 64) bool: the labelled object's pixels (the ground truth)
    distractor: np.ndarray  # (n,) bool: whether a distractor was drawn


def _grid(size: int = SIZE):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    return yy[None], xx[None]


def _rotated(xx, yy, cx, cy, angle):
    """Pixel coordinates in each object's frame (centred, rotated by -angle): (n, H, W) each."""
    dx, dy = xx - cx[:, None, None], yy - cy[:, None, None]
    c, s = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    return c * dx + s * dy, -s * dx + c * dy


def shape_masks(kind, cx, cy, r, angle, size: int = SIZE) -> np.ndarray:
    """(n, H, W) bool masks of circles (0), squares (1) and triangles (2) with half-size r."""
    yy, xx = _grid(size)
    u, v = _rotated(xx, yy, cx, cy, angle)
    r = r[:, None, None]
    circle = u**2 + v**2 <= r**2
    square = np.maximum(np.abs(u), np.abs(v)) <= 0.85 * r          # 0.85: about the circle's area
    # equilateral triangle: inside all three half-planes whose normals are 120 degrees apart
    normals = np.array([np.pi / 2, 7 * np.pi / 6, 11 * np.pi / 6])
    tri = np.ones_like(circle)
    for a in normals:
        tri &= u * np.cos(a) + v * np.sin(a) <= 0.6 * r
    k = np.asarray(kind)[:, None, None]
    return np.where(k == 0, circle, np.where(k == 1, square, tri))


def _distractor_masks(kind, cx, cy, r, angle, size: int = SIZE) -> np.ndarray:
    """Plus signs (kind 0) and rings (kind 1): shapes that are no class."""
    yy, xx = _grid(size)
    u, v = _rotated(xx, yy, cx, cy, angle)
    r = r[:, None, None]
    arm = 0.28 * r
    plus = ((np.abs(u) <= arm) & (np.abs(v) <= r)) | ((np.abs(v) <= arm) & (np.abs(u) <= r))
    rad = np.sqrt(u**2 + v**2)
    ring = (rad <= r) & (rad >= 0.6 * r)
    return np.where(np.asarray(kind)[:, None, None] == 0, plus, ring)


def _hsv(h, s, v):
    """(n,) HSV -> (n, 3) RGB (standard piecewise-linear formula)."""
    k = (np.array([5.0, 3.0, 1.0]) + h[:, None] * 6) % 6
    return v[:, None] - (v * s)[:, None] * np.clip(np.minimum(k, 4 - k), 0, 1)


def _background(rng, n: int, size: int = SIZE) -> np.ndarray:
    """Smooth coloured clutter: a few random plane waves per channel around mid grey, plus line segments."""
    yy, xx = _grid(size)
    img = np.full((n, 3, size, size), 0.45, np.float32)
    for _ in range(N_WAVES):
        freq = rng.uniform(0.02, 0.12, (n, 3, 1, 1))
        theta = rng.uniform(0, 2 * np.pi, (n, 3, 1, 1))
        phase = rng.uniform(0, 2 * np.pi, (n, 3, 1, 1))
        img += 0.12 * np.sin(2 * np.pi * freq * (np.cos(theta) * xx[:, None] + np.sin(theta) * yy[:, None]) + phase)
    for _ in range(N_LINES):   # thin segments: distance to a segment <= 0.8 px
        p = rng.uniform(0, size, (n, 2))
        d = rng.uniform(-20, 20, (n, 2))
        px, py, ddx, ddy = p[:, 0, None, None], p[:, 1, None, None], d[:, 0, None, None], d[:, 1, None, None]
        t = np.clip(((xx - px) * ddx + (yy - py) * ddy) / (d**2).sum(1)[:, None, None], 0, 1)
        dist2 = (xx - px - t * ddx)**2 + (yy - py - t * ddy)**2
        on = (dist2 <= 0.64)[:, None]
        grey = rng.uniform(0.15, 0.85, (n, 1, 1, 1)).astype(np.float32)
        img = np.where(on, grey, img)
    return img


def render(n: int, seed: int = 0, distractor: float = 0.5, size: int = SIZE) -> Scenes:
    """``n`` scenes, seeded. ``distractor``: probability of a second, class-less shape."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(len(CLASSES), size=n)
    r = rng.uniform(*RADIUS, n)
    cx, cy = (rng.uniform(r + 1, size - r - 1) for _ in range(2))
    angle = rng.uniform(0, 2 * np.pi, n)
    color = _hsv(rng.uniform(0, 1, n), rng.uniform(0.7, 1.0, n), rng.uniform(0.8, 1.0, n))
    img = _background(rng, n, size)
    has_d = rng.uniform(size=n) < distractor
    # the distractor sits on the far side of the image from the object, so the two rarely touch
    dr = rng.uniform(5.0, 9.0, n)
    dx = np.where(cx < size / 2, rng.uniform(size / 2 + 2, size - dr - 1), rng.uniform(dr + 1, size / 2 - 2))
    dy = rng.uniform(dr + 1, size - dr - 1)
    dmask = _distractor_masks(rng.integers(2, size=n), dx, dy, dr, rng.uniform(0, np.pi, n), size)
    dmask &= has_d[:, None, None]
    dcolor = _hsv(rng.uniform(0, 1, n), rng.uniform(0.7, 1.0, n), rng.uniform(0.8, 1.0, n))
    img = np.where(dmask[:, None], dcolor[:, :, None, None], img)
    mask = shape_masks(labels, cx, cy, r, angle, size)
    img = np.where(mask[:, None], color[:, :, None, None], img)
    img = img + rng.normal(0, 0.03, img.shape)
    return Scenes(np.clip(img, 0, 1).astype(np.float32), labels.astype(np.int64), mask, has_d)
