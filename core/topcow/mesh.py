"""Surfaces for the 3D view: marching cubes (scikit-image) per label, in LPS millimetres.

Each label is cut to its bounding box, lightly smoothed so the tubes look round rather than blocky,
and meshed at ``step`` voxels (step 2 has ~4x fewer triangles: what keeps a 160^3 volume's figure
under ~3 MB). Every mask voxel is kept above the iso level, so a one-voxel-thin vessel never vanishes
from the view. Errors (prediction vs ground truth) are shown as voxel points instead.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.measure import marching_cubes

Mesh = tuple[np.ndarray, np.ndarray]    # vertices (n, 3) float32 mm, triangles (m, 3) int32


def _mesh_crop(crop, corner, spacing, centre, step: int, sigma: float) -> Mesh | None:
    """Mesh a boolean crop whose first voxel sits at index ``corner`` of the full grid."""
    field = np.pad(crop, 1).astype(np.float32)                       # closed surfaces at the border too
    if sigma > 0:
        field = np.maximum(ndimage.gaussian_filter(field, sigma), 0.51 * field)
    if min(field.shape) < 2 * step or field.max() <= 0.5:
        return None
    verts, faces, _, _ = marching_cubes(field, 0.5, spacing=tuple(spacing), step_size=step,
                                        allow_degenerate=False)
    origin = (np.asarray(corner) - 1 - centre) * np.asarray(spacing)
    return (verts + origin).astype(np.float32), faces.astype(np.int32)


def _boxes(array):
    """Bounding boxes of each value of an integer array, grown by 2 voxels for the smoothing."""
    return {i: tuple(slice(max(s.start - 2, 0), s.stop + 2) for s in box)
            for i, box in enumerate(ndimage.find_objects(array), start=1) if box is not None}


def label_meshes(labels, spacing, step: int = 1, sigma: float = 0.6) -> dict[int, Mesh]:
    """{label: (vertices, triangles)} for every label present; coordinates in LPS mm, grid centre = 0."""
    centre = (np.asarray(labels.shape) - 1) / 2
    out = {}
    for label, box in _boxes(labels).items():
        mesh = _mesh_crop(labels[box] == label, [s.start for s in box], spacing, centre, step, sigma)
        if mesh is not None:
            out[label] = mesh
    return out


def error_masks(pred, gt) -> dict[str, np.ndarray]:
    """Where a prediction is wrong: missed vessel, extra vessel, and vessel with the wrong label."""
    p, g = pred > 0, gt > 0
    return {"missed (false negative)": g & ~p, "extra (false positive)": p & ~g,
            "wrong label": p & g & (pred != gt)}


def error_points(pred, gt, spacing, max_points: int = 20_000, seed: int = 0) -> dict[str, np.ndarray]:
    """Centres (LPS mm) of the wrong voxels of each kind, evenly thinned to ``max_points`` in all.

    Points rather than surfaces: error sets are often one voxel thick, where a surface would either
    vanish (smoothed) or cost a triangle per voxel face (a 1-voxel-thicker prediction: ~70k triangles).
    """
    centre = (np.asarray(gt.shape) - 1) / 2
    masks = {name: np.argwhere(m) for name, m in error_masks(pred, gt).items()}
    total = sum(len(idx) for idx in masks.values())
    keep = min(1.0, max_points / max(total, 1))
    rng = np.random.default_rng(seed)
    out = {}
    for name, idx in masks.items():
        if len(idx):
            if keep < 1:
                idx = idx[rng.random(len(idx)) < keep]
            out[name] = ((idx - centre) * np.asarray(spacing)).astype(np.float32)
    return out


def error_projection(pred, gt, axis: int) -> tuple[np.ndarray, dict[str, int]]:
    """The wrong voxels seen along ``axis``: a 2D code map and the voxel count of each kind of error.

    Code 0: the ray meets no vessel; 1: ground-truth vessel only; 2 + k: the ray meets a wrong voxel of
    the k-th kind of ``error_masks`` (missed, extra, wrong label; where one ray meets several kinds, the
    later kind is coded). A projection, like a MIP: cheap to draw, unlike a second 3D scene.
    """
    masks = error_masks(pred, gt)
    codes = (gt > 0).any(axis=axis).astype(np.uint8)
    for k, m in enumerate(masks.values()):
        codes[m.any(axis=axis)] = 2 + k
    return codes, {name: int(m.sum()) for name, m in masks.items()}


def auto_step(shape) -> int:
    """Step 1 up to ~1.2 M voxels (a TopCoW ROI), step 2 above (a 160^3 or larger volume)."""
    return 1 if int(np.prod(shape)) <= 1_200_000 else 2
