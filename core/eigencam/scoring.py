"""Localisation scores of a saliency map against the renderer's object mask, and map stability.

The paper scores weakly supervised localisation on ILSVRC boxes; here the mask is exact, so three standard
scores are computed per image, batched over (B, H, W) maps already upsampled to the image size:

* pointing game (Zhang et al. 2016): the map's maximum falls inside the mask;
* IoU of the thresholded map (map >= t, t a fraction of the max; maps are min-max scaled so t is absolute)
  with the mask;
* energy inside the mask: sum of the map over the mask / sum of the map (a map of zeros scores 0).

``map_correlation`` is the Pearson correlation of two maps per image (the robustness test).
"""
from __future__ import annotations

import numpy as np

SCORES = ("pointing", "iou", "energy")


def pointing_game(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    flat = maps.reshape(len(maps), -1)
    hit = masks.reshape(len(masks), -1)[np.arange(len(maps)), flat.argmax(1)]
    return np.where(flat.max(1) > 0, hit, False).astype(float)     # an empty map points nowhere


def iou(maps: np.ndarray, masks: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    on = (maps >= threshold) & (maps > 0)
    inter = (on & masks).sum(axis=(1, 2))
    union = (on | masks).sum(axis=(1, 2))
    return inter / np.maximum(union, 1)


def energy(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    total = maps.sum(axis=(1, 2))
    return np.where(total > 0, (maps * masks).sum(axis=(1, 2)) / np.maximum(total, 1e-12), 0.0)


def localisation(maps: np.ndarray, masks: np.ndarray, threshold: float = 0.5) -> dict[str, np.ndarray]:
    """All three scores per image."""
    return {"pointing": pointing_game(maps, masks), "iou": iou(maps, masks, threshold),
            "energy": energy(maps, masks)}


def map_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation per image between maps a and b; 0 when either map is constant."""
    a = a.reshape(len(a), -1) - a.reshape(len(a), -1).mean(1, keepdims=True)
    b = b.reshape(len(b), -1) - b.reshape(len(b), -1).mean(1, keepdims=True)
    den = np.sqrt((a**2).sum(1) * (b**2).sum(1))
    return np.divide((a * b).sum(1), den, out=np.zeros(len(a)), where=den > 0)
