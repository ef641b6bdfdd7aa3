"""2-D marginals of the paper's toy experiment and the checks for an uploaded point cloud.

p0 = N(0, I2); targets: the Swiss roll exactly as the official notebook builds it (sklearn
``make_swiss_roll(noise=0.8)[:, [0, 2]] / 7.5``), sklearn's two moons (centred, scaled to a similar
spread) and the classic 8 Gaussians (radius 2, std 0.1; a few lines, as in the official
src/distributions.py). Samplers take (n, rng) so every draw is seeded by the caller.

The two sklearn generators are written out here with sklearn's own draws (``make_swiss_roll`` and
``make_moons`` of scikit-learn 1.x, same RandomState calls in the same order, so the points are identical:
the tests compare them), because importing sklearn costs ~1 s of CPU on a page's first render.
"""
from __future__ import annotations

import io

import numpy as np

TARGETS = ("swiss roll", "moons", "8 gaussians")
MAX_UPLOAD_ROWS = 20_000
MAX_UPLOAD_BYTES = 2_000_000


class PointCloudError(ValueError):
    """An uploaded point cloud the page cannot use; the message says why."""


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2 ** 31 - 1))


def make_swiss_roll(n: int, noise: float, random_state: int) -> np.ndarray:
    """sklearn.datasets.make_swiss_roll(n, noise=noise, random_state=random_state)[0] (no hole)."""
    gen = np.random.RandomState(random_state)
    t = 1.5 * np.pi * (1 + 2 * gen.uniform(size=n))
    y = 21 * gen.uniform(size=n)
    X = np.vstack((t * np.cos(t), y, t * np.sin(t)))
    X += noise * gen.standard_normal(size=(3, n))
    return X.T


def make_moons(n: int, noise: float, random_state: int) -> np.ndarray:
    """sklearn.datasets.make_moons(n, noise=noise, random_state=random_state)[0] (shuffled, as sklearn's)."""
    gen = np.random.RandomState(random_state)
    n_out = n // 2
    n_in = n - n_out
    X = np.vstack([np.append(np.cos(np.linspace(0, np.pi, n_out)), 1 - np.cos(np.linspace(0, np.pi, n_in))),
                   np.append(np.sin(np.linspace(0, np.pi, n_out)), 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5)]).T
    order = np.arange(n)
    gen.shuffle(order)                                    # sklearn.utils.shuffle(X, y, random_state=gen)
    X = X[order]
    return X + gen.normal(scale=noise, size=X.shape)


def swiss_roll(n: int, rng: np.random.Generator) -> np.ndarray:
    return make_swiss_roll(n, noise=0.8, random_state=_seed(rng))[:, [0, 2]] / 7.5


def moons(n: int, rng: np.random.Generator) -> np.ndarray:
    return (make_moons(n, noise=0.05, random_state=_seed(rng)) - np.array([0.5, 0.25])) * 1.5


def eight_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    angles = 2 * np.pi * rng.integers(0, 8, n) / 8
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1)
    return centres + 0.1 * rng.standard_normal((n, 2))


def gaussian(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((n, 2))


SAMPLERS = {"swiss roll": swiss_roll, "moons": moons, "8 gaussians": eight_gaussians}

# The official notebook's start points for conditional samples and trajectories.
START_POINTS = np.array([[0.0, 0.0], [1.75, -1.75], [-1.5, 1.5], [2.0, 2.0]])


def _numeric(line: str) -> bool:
    try:
        [float(v) for v in line.split(",")]
    except ValueError:
        return False
    return True


def parse_point_cloud(raw: bytes) -> np.ndarray:
    """An uploaded CSV of 2-D points (two numeric columns, optional header) -> (N, 2), or PointCloudError."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PointCloudError(f"the file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PointCloudError("the file is not UTF-8 text; upload a CSV with two numeric columns") from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and not _numeric(lines[0]):
        lines = lines[1:]                                      # a header row
    try:
        arr = np.loadtxt(io.StringIO("\n".join(lines)), delimiter=",", ndmin=2) if lines else np.empty((0, 2))
    except ValueError as err:
        raise PointCloudError(f"could not read numbers from the CSV ({err})") from None
    if arr.shape[0] < 10:
        raise PointCloudError(f"the point cloud has {arr.shape[0]} rows; at least 10 points are needed")
    if arr.shape[1] != 2:
        raise PointCloudError(f"the points should have 2 columns (x, y), found {arr.shape[1]}")
    if arr.shape[0] > MAX_UPLOAD_ROWS:
        raise PointCloudError(f"{arr.shape[0]} rows; the limit is {MAX_UPLOAD_ROWS}")
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).any(1).sum())
        raise PointCloudError(f"{bad} rows contain NaN or infinite values; remove them and upload again")
    if np.abs(arr).max() > 1e3:
        raise PointCloudError("coordinates above 1000 in size; rescale the points to a few units")
    return arr
