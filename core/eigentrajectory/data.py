"""The simulated data sets and the shipped assets of the EigenTrajectory page.

Training set: TRAIN_SCENES (seed, density) pairs of the social-force corridor, 60 s each. Held-out set:
other seeds (HELDOUT_SCENES), never seen in training; the page's scene seed s simulates seed
HELDOUT_BASE + s. The training tracks are shipped (rounded to 1 cm, like ETH/UCY's text files) so the page
fits its ET space on exactly the trajectories the shipped forecasters were trained on, without re-simulating.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core import assets
from core.eigentrajectory.crowd import simulate
from core.eigentrajectory.tracks import Windows, make_windows

ASSET_DIR = assets.ASSETS / "eigentrajectory"  # where the training script writes; reads go through core.assets
TRACKS_FILE = ASSET_DIR / "train_tracks.npz"
WEIGHTS_FILE = ASSET_DIR / "forecasters.pt"
METRICS_FILE = ASSET_DIR / "heldout_metrics.json"
TWIN_METRICS_FILE = ASSET_DIR / "twin_metrics.json"   # scripts/train_eigentrajectory_twin.py

DENSITY_CYCLE = ("sparse", "medium", "dense")
TRAIN_SCENES = tuple((seed, DENSITY_CYCLE[seed % 3]) for seed in range(12))
HELDOUT_BASE = 1000
HELDOUT_SCENES = tuple((HELDOUT_BASE + s, DENSITY_CYCLE[s % 3]) for s in range(12))
K_OPTIONS = (2, 4, 6, 8)              # ET sizes with a trained forecaster (the paper uses k = 6)
ANCHOR_OPTIONS = (5, 10, 20, 30)      # numbers of anchors = samples (the paper uses 20)


def scene_tracks(scenes) -> list[np.ndarray]:
    """Simulated rows (frame, agent, x, y) per (seed, density), rounded to 1 cm like ETH/UCY's files."""
    return [np.round(simulate(seed, density), 2) for seed, density in scenes]


def concat_windows(parts: list[Windows]) -> Windows:
    """Windows of several scenes as one set (window indices kept distinct, so neighbours stay in-scene)."""
    offsets = np.cumsum([0] + [len(p.start) for p in parts[:-1]])
    return Windows(np.concatenate([p.traj for p in parts]),
                   np.concatenate([p.window + o for p, o in zip(parts, offsets)]),
                   np.concatenate([p.agent for p in parts]), np.concatenate([p.start for p in parts]))


def scene_windows(tracks: list[np.ndarray], stride: int = 1) -> Windows:
    return concat_windows([make_windows(t, stride=stride) for t in tracks])


def save_train_tracks(tracks: list[np.ndarray], path: Path | None = None) -> None:
    path = path or TRACKS_FILE
    scene = np.concatenate([np.full(len(t), i) for i, t in enumerate(tracks)])
    rows = np.concatenate(tracks)
    np.savez_compressed(path, scene=scene.astype(np.int16), frame=rows[:, 0].astype(np.int16),
                        agent=rows[:, 1].astype(np.int16), xy_cm=np.round(rows[:, 2:] * 100).astype(np.int16))


def load_train_tracks(path: Path | None = None) -> list[np.ndarray]:
    path = path or assets.path("eigentrajectory", TRACKS_FILE.name)
    with np.load(path) as f:
        rows = np.column_stack([f["frame"], f["agent"], f["xy_cm"] / 100.0]).astype(float)
        scene = f["scene"]
    return [rows[scene == i] for i in range(scene.max() + 1)]


def load_forecasters(path: Path | None = None) -> dict:
    """The shipped weights: {"U_obs", "U_pred", "cells": {"k6_s20": {"anchors", "et", "free"}}}."""
    if path is None:
        return assets.weights("eigentrajectory", WEIGHTS_FILE.name)
    import torch
    return torch.load(path, map_location="cpu", weights_only=True)


def load_metrics(path: Path | None = None) -> dict:
    """The precomputed held-out metrics, training curves and costs (scripts/train_eigentrajectory.py)."""
    if path is None:
        return assets.json_file("eigentrajectory", METRICS_FILE.name)
    import json
    return json.loads(path.read_text())


def load_twin_metrics() -> dict | None:
    """The Euclidean twin's and the fair baselines' held-out metrics, or None if not shipped."""
    if not TWIN_METRICS_FILE.exists():
        return None
    return assets.json_file("eigentrajectory", TWIN_METRICS_FILE.name)
