"""Simulated predictions: a ground truth degraded the ways the paper says real models fail.

The paper reports that even top models miss or fragment communicating arteries, get variant graphs
wrong and swap left with right (the evaluation's source warns about nnU-Net's mirror augmentation);
here also labels bleeding into a neighbour, spurious small branches and over- or under-segmented walls. Each function takes an (x, y, z) label array
(and the voxel spacing in mm where distances matter) and returns a new array; the input is not changed.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .anatomy import LR_PAIRS

N26 = np.ones((3, 3, 3), bool)


def _centreline_point(mask, spacing, where: float = 0.5):
    """A point on the vessel's axis at fraction ``where`` along it, and the local axis direction.

    Mask voxels are ordered along their principal axis; the point is the centroid of the voxels near
    that fraction, and the direction the principal axis of the voxels within ~2.5 mm of it.
    """
    pts = np.argwhere(mask) * np.asarray(spacing)
    centred = pts - pts.mean(0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    along = centred @ axis
    cut = np.quantile(along, where)
    near = pts[np.abs(along - cut) < 0.75]
    centre = near.mean(0) if len(near) else pts[np.argmin(np.abs(along - cut))]
    local = pts[np.linalg.norm(pts - centre, axis=1) < 2.5]
    direction = np.linalg.svd(local - local.mean(0), full_matrices=False)[2][0] if len(local) > 2 else axis
    return centre, direction


def break_vessel(labels, label: int, spacing, gap_mm: float = 1.0, where: float = 0.5):
    """Cut a gap of ``gap_mm`` across vessel ``label`` (its voxels in a slab normal to its axis)."""
    out = labels.copy()
    mask = labels == label
    if not mask.any():
        return out
    centre, direction = _centreline_point(mask, spacing, where)
    idx = np.argwhere(mask)
    offset = idx * np.asarray(spacing) - centre
    along = offset @ direction
    across = np.linalg.norm(offset - along[:, None] * direction, axis=1)
    cut = (np.abs(along) <= gap_mm / 2) & (across < 4.0)
    out[tuple(idx[cut].T)] = 0
    return out


def merge_labels(labels, source: int, target: int):
    """Label ``source`` predicted as ``target`` (e.g. a Pcom taken for the PCA it joins)."""
    out = labels.copy()
    out[out == source] = target
    return out


def drop_label(labels, label: int):
    """Miss a component entirely (e.g. a thin Pcom the model did not see)."""
    out = labels.copy()
    out[out == label] = 0
    return out


def add_spur(labels, label: int, spacing, spur_label: int | None = None, length_mm: float = 4.0,
             radius_mm: float = 0.6, seed: int = 0, where: float = 0.5):
    """A false side branch: a short tube leaving vessel ``label`` sideways into the background.

    ``spur_label`` (default: the same label) lets the spur be a false component, e.g. a 3rd-A2 (15)
    sprouting from the Acom. Only background voxels are painted.
    """
    out = labels.copy()
    mask = labels == label
    if not mask.any():
        return out
    rng = np.random.default_rng(seed)
    centre, axis = _centreline_point(mask, spacing, where)
    side = np.cross(axis, rng.normal(size=3))
    side /= np.linalg.norm(side) + 1e-12
    spacing = np.asarray(spacing, float)
    shape = np.array(labels.shape)
    steps = np.linspace(0, length_mm + 2.0, int((length_mm + 2.0) / (0.25 * spacing.min())) + 1)
    ball = np.argwhere(np.ones((7, 7, 7))) - 3                    # candidate offsets around each step
    ball = ball[np.linalg.norm(ball * spacing, axis=1) <= radius_mm + 1e-9]
    for s in steps:                                                # from the axis outward
        idx = np.round((centre + s * side) / spacing).astype(int) + ball
        idx = idx[np.all((idx >= 0) & (idx < shape), axis=1)]
        free = out[tuple(idx.T)] == 0
        out[tuple(idx[free].T)] = label if spur_label is None else spur_label
    return out


def swap_left_right(labels):
    """Every left label swapped with its right twin, voxels unmoved: a mirror-augmentation failure."""
    lut = np.arange(256, dtype=np.uint8)
    for right, left in LR_PAIRS:
        lut[right], lut[left] = left, right
    return lut[labels]


def erode(labels, voxels: int = 1):
    """Under-segmentation: the vessel walls peeled by ``voxels`` (face neighbours) on the merged mask."""
    keep = ndimage.binary_erosion(labels > 0, iterations=voxels)
    return np.where(keep, labels, 0).astype(labels.dtype)


def dilate(labels, voxels: int = 1):
    """Over-segmentation: each background voxel within ``voxels`` (face steps) of a vessel takes the
    nearest vessel's label."""
    dist, nearest = ndimage.distance_transform_cdt(labels == 0, metric="taxicab", return_indices=True)
    grown = labels[tuple(nearest)]
    return np.where((labels == 0) & (dist <= voxels), grown, labels).astype(labels.dtype)


# ----------------------------------------------------------------------------- the page's failure modes

FAILURES = {
    "perfect copy": "The prediction is the ground truth.",
    "gap in a vessel": "A short gap cut across one vessel (fragmentation).",
    "Pcom missed": "The right Pcom is not segmented at all.",
    "Pcom called PCA": "The right Pcom is labelled as the right PCA it joins.",
    "Acom called ACA": "The Acom is labelled as the right ACA.",
    "false 3rd-A2": "A spur labelled 3rd-A2 sprouts from the Acom.",
    "spur on a vessel": "A false side branch of the same label leaves one vessel.",
    "left-right swap": "Every left label swapped with its right twin (mirror augmentation).",
    "one voxel thinner": "Walls peeled by one voxel (erosion across faces).",
    "one voxel thicker": "Walls grown by one voxel.",
}


def simulate_prediction(gt, spacing, failure: str, vessel: int = 7, gap_mm: float = 1.0, seed: int = 0):
    """The ground truth degraded by one named failure mode of ``FAILURES``."""
    if failure == "perfect copy":
        return gt.copy()
    if failure == "gap in a vessel":
        return break_vessel(gt, vessel, spacing, gap_mm)
    if failure == "Pcom missed":
        return drop_label(gt, 8)
    if failure == "Pcom called PCA":
        return merge_labels(gt, 8, 2)
    if failure == "Acom called ACA":
        return merge_labels(gt, 10, 11)
    if failure == "false 3rd-A2":
        return add_spur(gt, 10, spacing, spur_label=15, length_mm=5.0, radius_mm=0.7, seed=seed)
    if failure == "spur on a vessel":
        return add_spur(gt, vessel, spacing, length_mm=4.0, radius_mm=0.6, seed=seed)
    if failure == "left-right swap":
        return swap_left_right(gt)
    if failure == "one voxel thinner":
        return erode(gt)
    if failure == "one voxel thicker":
        return dilate(gt)
    raise ValueError(f"unknown failure mode {failure!r}; expected one of {list(FAILURES)}")
