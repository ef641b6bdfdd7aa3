"""Procedural "shapes" renderer with known generative factors (for the Householder Projector page).

Song et al., "Householder Projector for Unsupervised Latent Semantics Discovery" (ICCV 2023) judge
their directions by eye on faces. Here the generator is trained on images whose true factors are
known, so a direction can be scored by how many factors it moves. This module draws those images.

Factors (all continuous ones normalised to [0, 1]):
    shape       0 square, 1 circle, 2 triangle
    scale       object size
    x, y        object centre
    rotation    fraction of a full turn (a square repeats every 1/4, a triangle every 1/3)
    hue         object colour on the HSV circle (saturation and value fixed)
    background  grey level of the background

Rendering is a signed-distance field evaluated on the pixel grid for a whole batch at once, with a
one-pixel linear ramp for anti-aliasing, so thousands of 32x32 images render in milliseconds.
"""
from __future__ import annotations

import math

import torch

from core.device import pick_device, seeded_generator

SHAPES = ("square", "circle", "triangle")
FACTORS = ("shape", "scale", "x", "y", "rotation", "hue", "background")
SYMMETRY = (4, 1, 3)  # rotational symmetry order per shape (a circle has no visible rotation)
RADIUS = (0.14, 0.26)  # object half-size range (image width = 1)
CENTRE = (0.28, 0.72)  # object centre range
BACKGROUND = (0.0, 0.45)  # background grey range: always darker than the bright object colours


def sample_factors(n: int, seed: int = 0, device=None) -> torch.Tensor:
    """(n, 7) factors drawn uniformly: column 0 the shape index, the rest in [0, 1)."""
    device = pick_device(device)
    gen = seeded_generator(seed, device)
    factors = torch.rand(n, len(FACTORS), generator=gen, device=device)
    factors[:, 0] = torch.randint(len(SHAPES), (n,), generator=gen, device=device).float()
    return factors


def hsv_to_rgb(hue: torch.Tensor, sat: float = 0.85, val: float = 0.95) -> torch.Tensor:
    """(n,) hue in [0, 1) -> (n, 3) RGB, the standard piecewise-linear HSV formula."""
    k = (torch.tensor([5.0, 3.0, 1.0], device=hue.device) + hue[:, None] * 6) % 6
    return val - val * sat * torch.clamp(torch.minimum(k, 4 - k), 0, 1)


def _signed_distance(shape: torch.Tensor, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Distance (in object radii) to each shape's edge; negative inside. px, py: (n, H, W)."""
    square = torch.maximum(px.abs(), py.abs()) - 0.85  # 0.85: equal area-ish to the circle
    circle = torch.sqrt(px**2 + py**2) - 1.0
    # equilateral triangle pointing up, circumradius ~1.25: max of the three edge half-planes
    edges = [px * math.cos(a) + py * math.sin(a) for a in (math.pi / 2, 7 * math.pi / 6, 11 * math.pi / 6)]
    triangle = torch.maximum(torch.maximum(edges[0], edges[1]), edges[2]) - 0.62
    s = shape[:, None, None]
    return torch.where(s == 0, square, torch.where(s == 1, circle, triangle))


def render(factors: torch.Tensor, size: int = 32) -> torch.Tensor:
    """(n, 7) factors -> (n, 3, size, size) images in [0, 1]."""
    n, device = factors.shape[0], factors.device
    shape, scale, x, y, rot, hue, bg = factors.T
    radius = RADIUS[0] + (RADIUS[1] - RADIUS[0]) * scale
    cx = CENTRE[0] + (CENTRE[1] - CENTRE[0]) * x
    cy = CENTRE[0] + (CENTRE[1] - CENTRE[0]) * y
    coords = (torch.arange(size, device=device, dtype=factors.dtype) + 0.5) / size
    gy, gx = torch.meshgrid(coords, coords, indexing="ij")
    dx = (gx[None] - cx[:, None, None]) / radius[:, None, None]
    dy = (cy[:, None, None] - gy[None]) / radius[:, None, None]  # image rows grow downwards
    angle = 2 * math.pi * rot[:, None, None]
    px = dx * torch.cos(angle) + dy * torch.sin(angle)  # rotate the pixel into the object frame
    py = -dx * torch.sin(angle) + dy * torch.cos(angle)
    dist_px = _signed_distance(shape, px, py) * radius[:, None, None] * size  # edge distance in pixels
    cover = torch.clamp(0.5 - dist_px, 0, 1)[:, None]  # 1-pixel anti-aliasing ramp
    colour = hsv_to_rgb(hue)[:, :, None, None]
    grey = (BACKGROUND[0] + (BACKGROUND[1] - BACKGROUND[0]) * bg)[:, None, None, None]
    return cover * colour + (1 - cover) * grey.expand(n, 3, 1, 1)


def sample(n: int, seed: int = 0, size: int = 32, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """n random images (n, 3, size, size) in [0, 1] with their factors (n, 7)."""
    factors = sample_factors(n, seed, device)
    return render(factors, size), factors
