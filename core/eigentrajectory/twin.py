"""EigenTrajectory (Bae et al., ICCV 2023): the paper's headline comparison and two fairer yardsticks.

* The Euclidean twin: the same predictor (ETForecaster body: history ET coefficients + pooled neighbours),
  the same winner-takes-all loss and data, but each sample is the 24 numbers of the future itself (12 steps
  x 2) instead of k ET coefficients: the output basis is the identity, no anchors. The paper's claim is that
  a predictor does better in ET space than in Euclidean space.
* Best-of-S noisy constant velocity: S futures of constant velocity with a random heading (sd ``heading``
  rad) and speed factor (1 + sd ``speed``), so a best-of-S method meets a best-of-S baseline.
* Collision rate: the share of predicted futures that come within 2 radii (the simulator's body size) of
  any neighbour's true future at the same time step, in world coordinates.
Written here by hand (the paper does not define these two yardsticks).
"""
from __future__ import annotations

import numpy as np

from .forecast import Samples, train_forecaster
from .tracks import PRED_LEN

EUCLIDEAN_DIM = 2 * PRED_LEN
NOISY_CV = "noisy constant velocity"
NOISE = (0.25, 0.5)   # (heading sd in rad, speed sd): tune_noise's choice on the shipped training samples


def euclidean_basis() -> np.ndarray:
    """The identity (24, 24): 'coefficients' that are the future's coordinates themselves."""
    return np.eye(EUCLIDEAN_DIM)


def train_euclidean_twin(samples: Samples, U_obs, k: int, n_samples: int, **train_kw):
    """ETForecaster with 24 outputs per sample (identity output basis, zero anchors), same loss and data."""
    return train_forecaster(samples, U_obs, None, k, np.zeros((n_samples, EUCLIDEAN_DIM)), False,
                            out_basis=euclidean_basis(), **train_kw)


def noisy_constant_velocity(obs: np.ndarray, n_samples: int = 20, heading: float = 0.25, speed: float = 0.25,
                            seed: int = 0) -> np.ndarray:
    """(n, S, 12, 2): constant velocity with a random heading and speed per sample, in each agent's frame."""
    rng = np.random.default_rng(seed)
    step = obs[:, -1] - obs[:, -2]                                     # (n, 2)
    theta = rng.normal(0.0, heading, (len(obs), n_samples))
    gain = np.maximum(0.0, 1 + rng.normal(0.0, speed, (len(obs), n_samples)))
    c, s = np.cos(theta) * gain, np.sin(theta) * gain
    v = np.stack([c * step[:, None, 0] - s * step[:, None, 1], s * step[:, None, 0] + c * step[:, None, 1]], -1)
    t = np.arange(1, PRED_LEN + 1)[None, None, :, None]
    return obs[:, -1, None, None] + t * v[:, :, None]


def tune_noise(samples: Samples, n_samples: int = 20, grid=(0.1, 0.25, 0.5), seed: int = 0) -> tuple[float, float]:
    """The (heading, speed) noise of the grid with the lowest minADE on ``samples`` (use training samples)."""
    from .forecast import best_of
    scores = {(h, v): best_of(noisy_constant_velocity(samples.obs, n_samples, h, v, seed), samples.future)[0].mean()
              for h in grid for v in grid}
    return min(scores, key=scores.get)


def collision_rate(samples: Samples, futures: np.ndarray, radius: float = 0.3) -> float:
    """Share of predicted futures (n, S, 12, 2, each agent's frame) that pass within 2 radii of a neighbour's
    true future at the same step. Agents without neighbours count as collision-free."""
    world = samples.norm.invert(futures)                                                # (n, S, 12, 2)
    truth = samples.norm.invert(samples.future)                                         # (n, 12, 2)
    hit = np.zeros(futures.shape[:2], bool)
    for m in range(samples.neighbour_index.shape[1]):
        j = samples.neighbour_index[:, m]
        has = j >= 0
        gap = np.linalg.norm(world[has] - truth[j[has]][:, None], axis=-1).min(-1)      # (n_has, S)
        hit[has] |= gap < 2 * radius
    return float(hit.mean())


def ground_truth_collision_rate(samples: Samples, radius: float = 0.3) -> float:
    """The same measure for the true futures: the simulator's own floor."""
    return collision_rate(samples, samples.future[:, None], radius)

